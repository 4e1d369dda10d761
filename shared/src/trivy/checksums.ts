// SHA-256 of the Trivy release archives this project installs, committed here rather than read
// from the release's own checksums file: an attacker who can replace an archive in a release can
// replace that file too (trivy-action's tags were hijacked that way in March 2026). Each value was
// checked against several independent public pins of the same upstream file. Versions 0.69.4 to
// 0.69.6 were the compromised releases and are deliberately absent.

export const DEFAULT_TRIVY_VERSION = '0.71.2';

export const TRIVY_CHECKSUMS: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  '0.71.2': {
    'trivy_0.71.2_Linux-64bit.tar.gz': '0510e71e2fd39bf863856d499c8dc19feb4e7336546394c502a8f5cc7ab27460',
    'trivy_0.71.2_Linux-ARM64.tar.gz': 'fe1c7106e15a5365d485b098a8c338f91e3b7ba71cb0e4963b98a3a098763cfc',
  },
  '0.70.0': {
    'trivy_0.70.0_Linux-64bit.tar.gz': '8b4376d5d6befe5c24d503f10ff136d9e0c49f9127a4279fd110b727929a5aa9',
    'trivy_0.70.0_Linux-ARM64.tar.gz': '2f6bb988b553a1bbac6bdd1ce890f5e412439564e17522b88a4541b4f364fc8d',
  },
  '0.69.3': {
    'trivy_0.69.3_Linux-64bit.tar.gz': '1816b632dfe529869c740c0913e36bd1629cb7688bd5634f4a858c1d57c88b75',
    'trivy_0.69.3_Linux-ARM64.tar.gz': '7e3924a974e912e57b4a99f65ece7931f8079584dae12eb7845024f97087bdfd',
  },
};
