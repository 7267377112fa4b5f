import type { ServerResponse } from 'node:http';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  sendText(response, status, JSON.stringify(body), JSON_TYPE, headers);
}

/** Sends `body` as it is: the sandbox writes some JSON by hand to control key order, and some bodies are not JSON at all. */
export function sendText(response: ServerResponse, status: number, body: string, type = JSON_TYPE, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...headers });
  response.end(body);
}

/** Runs `answer` once `when` resolves, else after `delayMs` (at once without one), unless the client has gone by then. */
export function answerAfter(response: ServerResponse, delayMs: number | undefined, answer: () => void, when?: () => Promise<unknown>): void {
  if (when) {
    void when().then(() => response.destroyed || answer());
    return;
  }
  if (!delayMs) return answer();
  const timer = setTimeout(answer, delayMs);
  response.once('close', () => clearTimeout(timer));
}
