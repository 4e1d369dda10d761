// What the test stack (test/stack/global-setup.ts) hands to tests through vitest's
// provide/inject under the key 'stack'. Everything listens on 127.0.0.1 only.

export interface RegistryEndpoint {
  /** host:port, e.g. 127.0.0.1:5001 (what goes in image references) */
  host: string;
  /** http://host:port */
  url: string;
  /** registry storage root on disk (for counting blobs or inspecting what was written) */
  storageDir: string;
  /** the registry process's log file (request lines can be counted for mount checks) */
  logFile: string;
}

export interface StackUser {
  username: string;
  password: string;
}

export interface TokenRegistryEndpoint extends RegistryEndpoint {
  /** token server base URL (realm = `${tokenUrl}/token`) */
  tokenUrl: string;
  /** the `service` value the registry announces */
  service: string;
  /** may pull and push any repository */
  admin: StackUser;
  /** may only pull any repository */
  reader: StackUser;
  /** may pull and push repositories under `limited/` only, pull elsewhere */
  limited: StackUser;
}

export interface DockerEndpoint {
  /** DOCKER_HOST value, e.g. unix:///tmp/.../docker.sock */
  host: string;
  /** true when the stack started this daemon (false when an existing one was reused) */
  started: boolean;
}

export interface Stack {
  /** anonymous access, deletes enabled */
  anonymous: RegistryEndpoint;
  /** htpasswd (bcrypt) basic auth, deletes enabled */
  htpasswd: RegistryEndpoint & { user: StackUser };
  /** bearer token auth through the test token server, deletes enabled */
  token: TokenRegistryEndpoint;
  /** a second anonymous registry (cross-registry copies) */
  anonymous2: RegistryEndpoint;
  /** null only when STACK_SKIP_DOCKER=1 outside CI */
  docker: DockerEndpoint | null;
  /** absolute path of skopeo */
  skopeo: string;
  /** absolute path of a static busybox binary, for FROM scratch build contexts */
  busybox: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    stack: Stack;
  }
}
