import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The service could not start for a reason its operator can fix: the message says what to change. */
export class StartError extends Error {
  override readonly name = 'StartError';
}

/**
 * Listens on `host:port` and resolves with the URL of `path` there. A port in use, an address that is not this
 * machine's, or a privileged port is a StartError naming the address and the setting to change (`portSetting`).
 */
export function listen(server: Server, port: number, host: string, path: string, portSetting = 'PORT'): Promise<URL> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const where = `${host}:${port}`;
      if (error.code === 'EADDRINUSE') reject(new StartError(`Cannot listen on ${where}: the address is already in use (is another instance running?). Set ${portSetting}, or HOST, to a free one.`));
      else if (error.code === 'EADDRNOTAVAIL') reject(new StartError(`Cannot listen on ${where}: HOST is not an address of this machine. Set HOST to one of its addresses, or 0.0.0.0 for all.`));
      else if (error.code === 'EACCES') reject(new StartError(`Cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set ${portSetting} to 1024 or above.`));
      else reject(error);
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const { address, port: actual } = server.address() as AddressInfo;
      resolve(new URL(`http://${address.includes(':') ? `[${address}]` : address}:${actual}${path}`));
    });
  });
}
