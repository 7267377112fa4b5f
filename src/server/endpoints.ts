import type { Config } from '../config/index.js';
import type { Logger } from '../observability/logger.js';
import { startSandbox, type Sandbox } from '../sandbox/server.js';
import type { Endpoints } from './services.js';

/** Where the upstream APIs are, and the built-in sandbox when it stands in for them (closed on shutdown). */
export interface ResolvedEndpoints extends Endpoints {
  readonly sandbox: Sandbox | undefined;
}

/**
 * Where each API the service calls is: the configured endpoints, or, when the API that answers has none, the
 * built-in sandbox (which serves both ECS and IMS), said loudly, once. (In production, the config's rules have
 * refused to start without an endpoint unless SANDBOX=true asked for the sandbox.) In service mode the sandbox checks
 * signatures with the service's own key, as Huawei's API gateway would. (The config's rules have made sure that
 * shadow mode has both endpoints or neither.)
 */
export async function resolveEndpoints(config: Config, logger: Logger): Promise<ResolvedEndpoints> {
  const { kind, ecsEndpoint, imsEndpoint } = config.backend;
  const configured = kind === 'ims' ? imsEndpoint : ecsEndpoint;
  if (configured) {
    if (config.backend.imsDerived) logger.info({ ims: imsEndpoint?.href }, `IMS_ENDPOINT is not set: using ${imsEndpoint?.origin}, the IMS endpoint of ECS_ENDPOINT's region`);
    if (kind === 'shadow' && !imsEndpoint) throw new Error('IMAGE_BACKEND=shadow without IMS_ENDPOINT passed the configuration rules');
    return { primary: configured, shadow: kind === 'shadow' ? imsEndpoint : undefined, sandbox: undefined };
  }
  const { auth } = config.callers;
  const sandbox = await startSandbox(auth.mode === 'service' ? { accessKeys: [{ accessKey: auth.accessKey, secretKey: auth.secretKey }] } : {});
  const why = config.backend.sandboxRequested ? 'SANDBOX=true' : `${kind === 'ims' ? 'IMS_ENDPOINT' : 'ECS_ENDPOINT'} is not set`;
  logger.warn({ sandbox: sandbox.url.href }, `${why}: using the built-in sandbox of ECS and IMS at ${sandbox.url.href} (sample images only, no real data)`);
  return { primary: sandbox.url, shadow: kind === 'shadow' ? sandbox.url : undefined, sandbox };
}
