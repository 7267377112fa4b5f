import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AccessKey } from '../upstream/signer.js';
import { answerFault, faultFor } from './faults.js';
import { IMS_PATH, imageInfo } from './ims.js';
import { answerAfter, sendJson, sendText } from './respond.js';
import { signatureProblem } from './signature-check.js';
import { DOCUMENTED_IMAGE, SAMPLE_IMAGES, type SampleImage, type SampleMetadata } from './samples.js';

/**
 * A local implementation of the legacy endpoint `GET /v2.1/{project_id}/images/{image_id}/metadata`: the
 * same path, JSON and Nova-style error bodies, and of IMS `GET /v2/cloudimages?id=` for the same images
 * (ims.ts). `npm start` uses it when no `ECS_ENDPOINT` is set, and the tests use it as their upstream. It
 * needs no token. The reserved image ids of `faults.ts` misbehave on both APIs.
 */
export interface SandboxOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  readonly port?: number;
  readonly host?: string;
  readonly images?: readonly SampleImage[];
  /** How long the `slow` fault takes to answer. */
  readonly slowMs?: number;
  /**
   * When given, the `slow` fault and every ordinary answer wait until the promise this returns resolves, instead
   * of `slowMs` or `latencyMs`: a test holds calls in flight for exactly as long as it needs, not for a time it
   * hopes is long enough.
   */
  readonly answerWhen?: () => Promise<unknown>;
  /** When given, every metadata request must be signed with one of these keys (AK/SK), as the real gateway demands. */
  readonly accessKeys?: readonly AccessKey[];
  /**
   * Adds a `sandbox_caller` entry (a fingerprint of the caller's X-Auth-Token) to every answer, so that a
   * test can tell whose answer it was served.
   */
  readonly identifyCaller?: boolean;
  /** How long every ordinary answer waits, as a real upstream's latency would. */
  readonly latencyMs?: number;
  /**
   * Tokens the API gateway refuses with a 401 (`APIGW.0301`), as it would an expired or revoked IAM token. A
   * test may add to it while the sandbox runs.
   */
  readonly revokedTokens?: ReadonlySet<string>;
  /** Every image id, in every project, exists, with the documented example's metadata: for benchmarks, which ask for fresh ids. */
  readonly anyImage?: boolean;
  /** Whether to keep every request in `requests` (the default; tests read it). A long-running sandbox only counts them. */
  readonly keepRequests?: boolean;
  /**
   * IMS answers to give instead of the image's own, by image id: a status (200 by default), the whole JSON body
   * (e.g. an image whose values differ from its ECS answer, two images, another image, an `IMG.` error) and a
   * delay, for tests of the IMS backend and shadow mode.
   */
  readonly imsAnswers?: ReadonlyMap<string, ImsAnswer>;
}

export interface ImsAnswer {
  readonly status?: number;
  readonly body: unknown;
  readonly delayMs?: number;
}

/** One request as the sandbox saw it, for tests to assert on. */
export interface SandboxRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

export interface Sandbox {
  /** The base URL to use as `ECS_ENDPOINT`. */
  readonly url: URL;
  /** Every request received, oldest first. */
  readonly requests: SandboxRequest[];
  /** Requests being answered right now (a hanging one stays until its client gives up). */
  readonly inFlight: number;
  /** The most requests that were being answered at once. */
  readonly maxInFlight: number;
  /** Resolves once no request is being answered: every hanging client has gone. */
  whenIdle(): Promise<void>;
  close(): Promise<void>;
}

const METADATA_PATH = /^\/v2\.1\/([^/]+)\/images\/([^/]+)\/metadata$/;

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const images = new Map((options.images ?? SAMPLE_IMAGES).map((image) => [`${image.projectId}/${image.imageId}`, image]));
  const attempts = new Map<string, number>();
  const requests: SandboxRequest[] = [];
  const documentedBody = metadataBody(DOCUMENTED_IMAGE.metadata);
  const slowMs = options.slowMs ?? 1500;
  let inFlight = 0;
  let maxInFlight = 0;
  let metadataRequests = 0;
  let imsRequests = 0;
  const imagesById = new Map((options.images ?? SAMPLE_IMAGES).map((image) => [image.imageId, image]));

  const idle = new EventEmitter();

  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    if (options.keepRequests ?? true) requests.push({ method: request.method ?? '', path, headers: request.headers });
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    // 'close' fires when the answer is sent or the client goes away, whichever comes first.
    response.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) idle.emit('idle');
    });
    const requestId = randomUUID().replaceAll('-', '');
    response.setHeader('x-request-id', requestId);
    route(request, path, response, requestId);
  });

  function route(request: IncomingMessage, path: string, response: ServerResponse, requestId: string): void {
    if (path === '/healthz') return sendJson(response, 200, { status: 'ok' });
    // How many metadata requests the sandbox has had: a benchmark counts upstream calls with it.
    if (path === '/_sandbox/stats') return sendJson(response, 200, { metadataRequests, imsRequests });
    const url = new URL(path, 'http://sandbox');
    if (url.pathname === IMS_PATH) return answerIms(request, url, response, requestId);
    const match = METADATA_PATH.exec(path);
    if (!match) return sendJson(response, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    metadataRequests += 1;
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      return sendJson(response, 405, { badMethod: { code: 405, message: 'The method is not allowed for the requested URL.' } });
    }
    // Nova removed the image proxy API from microversion 2.39 on; a client that asks for it gets a 404.
    if (asksForMicroversion239OrLater(request.headers)) {
      return sendJson(response, 404, { itemNotFound: { code: 404, message: 'The resource could not be found.' } });
    }
    if (refusedCredential(request, response, requestId)) return;
    const [, projectId = '', imageId = ''] = match;
    const fault = faultFor(imageId);
    if (fault) {
      const attempt = (attempts.get(imageId) ?? 0) + 1;
      attempts.set(imageId, attempt);
      return answerFault(fault, response, { requestId, attempt, slowMs, answerWhen: options.answerWhen, documentedBody });
    }
    const image = images.get(`${projectId}/${imageId}`) ?? (options.anyImage ? { ...DOCUMENTED_IMAGE, projectId, imageId } : undefined);
    const answer = () => {
      if (!image) return sendJson(response, 404, { itemNotFound: { code: 404, message: 'Image not found.' } });
      const token = request.headers['x-auth-token'];
      const tagged = options.identifyCaller ? [...image.metadata, ['sandbox_caller', callerFingerprint(String(token ?? ''))] as const] : image.metadata;
      sendText(response, 200, metadataBody(tagged));
    };
    answerAfter(response, options.latencyMs, answer, options.answerWhen);
  }

  /** Answers a 401 as the API gateway would, when the credential does not pass; says whether it did. */
  function refusedCredential(request: IncomingMessage, response: ServerResponse, requestId: string): boolean {
    if (options.accessKeys) {
      const problem = signatureProblem(request, options.accessKeys);
      if (problem) {
        sendJson(response, 401, { error_code: problem.code, error_msg: problem.message, request_id: requestId });
        return true;
      }
    }
    if (options.revokedTokens?.has(String(request.headers['x-auth-token']))) {
      // As long in coming as an answer: a refusal takes the gateway a round trip too.
      const refuse = () => sendJson(response, 401, { error_code: 'APIGW.0301', error_msg: 'Incorrect IAM authentication information: the token has expired or been revoked', request_id: requestId });
      answerAfter(response, options.latencyMs, refuse, options.answerWhen);
      return true;
    }
    return false;
  }

  /**
   * IMS `GET /v2/cloudimages?id=`: the image as `{"images": [ImageInfo]}`, `{"images": []}` when there is none.
   * IMS has no project in its path: the request names it in X-Project-Id, and an image of another project is
   * not there (the sandbox's samples are all private). Without the header, any project's image answers.
   */
  function answerIms(request: IncomingMessage, url: URL, response: ServerResponse, requestId: string): void {
    imsRequests += 1;
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      return sendJson(response, 405, { error: { code: 'IMG.0001', message: 'The method is not allowed.' } });
    }
    if (refusedCredential(request, response, requestId)) return;
    const imageId = url.searchParams.get('id') ?? '';
    const fault = faultFor(imageId);
    if (fault === 'notFound') return sendJson(response, 200, { images: [] });
    if (fault === 'badRequest') return sendJson(response, 400, { error: { code: 'IMG.0024', message: 'The image id is invalid.' } });
    if (fault) {
      const attempt = (attempts.get(`ims/${imageId}`) ?? 0) + 1;
      attempts.set(`ims/${imageId}`, attempt);
      // A success (`errorOnce`, `slow`) is the documented example's image, under the id asked for.
      const documentedBody = JSON.stringify({ images: [imageInfo({ ...DOCUMENTED_IMAGE, imageId })] });
      return answerFault(fault, response, { requestId, attempt, slowMs, answerWhen: options.answerWhen, documentedBody });
    }
    const project = request.headers['x-project-id'];
    const given = options.imsAnswers?.get(imageId);
    if (given) return answerAfter(response, given.delayMs, () => sendJson(response, given.status ?? 200, given.body));
    const answer = () => {
      const image = imagesById.get(imageId) ?? (options.anyImage ? { ...DOCUMENTED_IMAGE, projectId: typeof project === 'string' ? project : DOCUMENTED_IMAGE.projectId, imageId } : undefined);
      const visible = image !== undefined && (project === undefined || project === image.projectId);
      sendJson(response, 200, { images: visible ? [imageInfo(image)] : [] });
    };
    answerAfter(response, options.latencyMs, answer, options.answerWhen);
  }

  server.listen(options.port ?? 0, options.host ?? '127.0.0.1');
  await once(server, 'listening');
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  return {
    url: new URL(`http://${host}:${port}`),
    requests,
    get inFlight() {
      return inFlight;
    },
    get maxInFlight() {
      return maxInFlight;
    },
    whenIdle: () => (inFlight === 0 ? Promise.resolve() : once(idle, 'idle').then(() => undefined)),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** What `identifyCaller` adds for a token: a short hash, never the token. */
export function callerFingerprint(token: string): string {
  return token === '' ? 'anonymous' : createHash('sha256').update(token).digest('hex').slice(0, 16);
}

/** Serialised by hand so that keys keep their order, integer-like ones included. */
export function metadataBody(metadata: SampleMetadata): string {
  const members = metadata.map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`);
  return `{"metadata": {${members.join(', ')}}}`;
}

/** Whether a request asks for Nova microversion 2.39 or later, in either header Nova accepts. */
function asksForMicroversion239OrLater(headers: IncomingHttpHeaders): boolean {
  const legacy = headers['x-openstack-nova-api-version'];
  const modern = /compute\s+(\S+)/i.exec(String(headers['openstack-api-version'] ?? ''))?.[1];
  const version = String(legacy ?? modern ?? '2.1').toLowerCase();
  if (version === 'latest') return true;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 2 || (major === 2 && minor >= 39);
}
