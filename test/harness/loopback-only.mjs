// Preloaded into a bundle under test (`NODE_OPTIONS=--import <this file>`) when it is handed real
// host names (a cloud's STS, github.com): every name lookup but localhost fails as if the name did
// not exist, so a connection that should have gone through a local proxy or fake can never leave
// the machine, whatever DNS this machine has.
import dns from 'node:dns';
import { syncBuiltinESMExports } from 'node:module';

const local = (host) => host === 'localhost' || host.endsWith('.localhost');

function refuse(hostname) {
  const err = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  err.code = 'ENOTFOUND';
  err.errno = -3008;
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}

const lookup = dns.lookup;
dns.lookup = function guardedLookup(hostname, options, callback) {
  const cb = typeof options === 'function' ? options : callback;
  if (local(String(hostname))) return lookup.call(dns, hostname, options, callback);
  process.nextTick(() => cb(refuse(hostname)));
  return {};
};
const lookupPromise = dns.promises.lookup;
dns.promises.lookup = async (hostname, options) => {
  if (local(String(hostname))) return lookupPromise.call(dns.promises, hostname, options);
  throw refuse(hostname);
};
syncBuiltinESMExports();
