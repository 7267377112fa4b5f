import type { ServerResponse } from 'node:http';
import { answerAfter, sendJson as json, sendText } from './respond.js';
import { DOCUMENTED_IMAGE } from './samples.js';

/**
 * Reserved image ids that make the sandbox misbehave on purpose, in any project, so that tests (and
 * people trying the service in GraphiQL) can produce every upstream fault on demand. Each answers in the
 * body family Huawei would use for it (docs/legacy-api.md §3).
 */
export interface Fault {
  readonly imageId: string;
  readonly description: string;
}

const id = (suffix: string) => `faded000-0000-4000-8000-${suffix.padStart(12, '0')}`;

export const FAULTS = {
  badRequest: { imageId: id('400'), description: '400 with a Nova badRequest body (not in the error contract: masked and logged)' },
  unauthorized: { imageId: id('401'), description: '401 with an API gateway body (APIGW.0301)' },
  forbidden: { imageId: id('403'), description: '403 with a Huawei body (Ecs.0023)' },
  notFound: { imageId: id('404'), description: '404 with a Huawei body (Ecs.0031)' },
  throttled: { imageId: id('429'), description: '429 with `Retry-After: 1` and an API gateway body (APIG.0308)' },
  throttledNoRetryAfter: { imageId: id('4290'), description: '429 without Retry-After, API gateway body (APIG.0308)' },
  overLimit: { imageId: id('413'), description: '413 with a Nova overLimit body, `"retryAfter": "1"`' },
  errorOnce: { imageId: id('500'), description: '500 (Nova computeFault) on every odd request, success on every even one: one retry recovers' },
  error: { imageId: id('5000'), description: '500 (Nova computeFault), always' },
  badGateway: { imageId: id('502'), description: '502 with an HTML body, as a load balancer sends' },
  unavailable: { imageId: id('503'), description: '503 with a Nova serviceUnavailable body' },
  gatewayTimeout: { imageId: id('504'), description: '504 with an API gateway body (APIG.0202)' },
  hang: { imageId: id('f0001'), description: 'accepts the request and never answers' },
  slow: { imageId: id('f0002'), description: "answers the documented example's metadata after the sandbox's `slowMs` (1.5 s by default)" },
  truncated: { imageId: id('f0003'), description: '200 with JSON cut off mid-value' },
  wrongShape: { imageId: id('f0004'), description: '200 with JSON of another shape (`{"image": {...}}`)' },
  html: { imageId: id('f0005'), description: '200 with an HTML page' },
  reset: { imageId: id('f0006'), description: 'closes the connection without answering' },
} as const satisfies Record<string, Fault>;

export type FaultName = keyof typeof FAULTS;

const byImageId = new Map<string, FaultName>(Object.entries(FAULTS).map(([name, fault]) => [fault.imageId, name as FaultName]));

export function faultFor(imageId: string): FaultName | undefined {
  return byImageId.get(imageId);
}

/** What a fault needs from the sandbox. */
export interface FaultContext {
  readonly requestId: string;
  /** How many times this image was asked for, this one included. */
  readonly attempt: number;
  readonly slowMs: number;
  /** When given, the `slow` fault answers once the promise this returns resolves instead of after `slowMs`. */
  readonly answerWhen?: (() => Promise<unknown>) | undefined;
  /** The success body the sandbox would send for the documented example. */
  readonly documentedBody: string;
}

const computeFault = { computeFault: { code: 500, message: 'The server has either erred or is incapable of performing the requested operation.' } };

export function answerFault(name: FaultName, response: ServerResponse, context: FaultContext): void {
  const gateway = (code: string, message: string) => ({ error_code: code, error_msg: message, request_id: context.requestId });
  switch (name) {
    case 'badRequest':
      return json(response, 400, { badRequest: { code: 400, message: 'Invalid image metadata request.' } });
    case 'unauthorized':
      return json(response, 401, gateway('APIGW.0301', 'Incorrect IAM authentication information: decrypt token fail'));
    case 'forbidden':
      return json(response, 403, { error: { code: 'Ecs.0023', message: 'The project ID in the token does not match the one in the URL.', details: [] } });
    case 'notFound':
      return json(response, 404, { error: { code: 'Ecs.0031', message: 'The image does not exist.', details: [] } });
    case 'throttled':
      return json(response, 429, gateway('APIG.0308', 'The throttling threshold has been reached: policy user over ratelimit, limit:20, time:1 minute'), {
        'retry-after': '1',
      });
    case 'throttledNoRetryAfter':
      return json(response, 429, gateway('APIG.0308', 'The throttling threshold has been reached: policy user over ratelimit, limit:20, time:1 minute'));
    case 'overLimit':
      return json(response, 413, { overLimit: { code: 413, message: 'This request was rate-limited.', retryAfter: '1' } });
    case 'errorOnce':
      if (context.attempt % 2 === 0) return sendText(response, 200, context.documentedBody);
      return json(response, 500, computeFault);
    case 'error':
      return json(response, 500, computeFault);
    case 'badGateway':
      return sendText(response, 502, '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>', 'text/html');
    case 'unavailable':
      return json(response, 503, { serviceUnavailable: { code: 503, message: 'Service is unavailable at this time.' } });
    case 'gatewayTimeout':
      return json(response, 504, gateway('APIG.0202', 'Backend timeout'));
    case 'hang':
      return; // the request stays open until the client gives up or the sandbox closes
    case 'slow':
      return answerAfter(response, context.slowMs, () => sendText(response, 200, context.documentedBody), context.answerWhen);
    case 'truncated':
      return sendText(response, 200, '{"metadata": {"__os_type": "Lin');
    case 'wrongShape':
      return json(response, 200, { image: { id: DOCUMENTED_IMAGE.imageId, metadata: { __os_type: 'Linux' } } });
    case 'html':
      return sendText(response, 200, '<!doctype html><html><body>Please sign in</body></html>', 'text/html');
    case 'reset':
      response.socket?.destroy();
      return;
  }
}
