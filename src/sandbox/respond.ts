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
