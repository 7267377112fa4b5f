/**
 * What of an upstream error body may reach a caller (`extensions.upstream`): Huawei's gateway echoes what it
 * was sent in some messages (a signature failure, APIGW.0303, quotes the canonical request it computed, the
 * signed headers' values with it, an `X-Security-Token` among them), and any caller of a service-mode deployment
 * would read this service's credential there. So only the first sentence-like part of a message is passed on:
 * cut at the first line break and before anything that starts an echo of the request, with every run that
 * could be a token, a key or a signature replaced, and at most {@link MAX_MESSAGE_LENGTH} characters.
 */

export const MAX_MESSAGE_LENGTH = 200;

/** Where an echo of the request begins: its canonical form, its headers, the string that was signed. */
const ECHO = /signedheaders|canonical[\s_-]*request|string[\s_-]*to[\s_-]*sign|x-security-token|x-auth-token|authorization\s*[:=]|x-sdk-date|\bhost\s*:/i;
/** A run of 40 or more token characters: base64, hex or a JWT segment. Ids (a UUID is 36, a project 32) pass. */
const CREDENTIAL_LIKE = /[A-Za-z0-9+/=_-]{40,}/g;

/** The part of an upstream message a caller may read; null when nothing of it is left. */
export function safeMessage(message: string): string | null {
  let safe = message.split(/[\r\n]/, 1)[0]!;
  const echo = ECHO.exec(safe);
  if (echo) safe = `${safe.slice(0, echo.index).replace(/[\s,;:.-]+$/, '')}…`;
  safe = safe.replace(CREDENTIAL_LIKE, '[redacted]');
  if (safe.length > MAX_MESSAGE_LENGTH) safe = `${safe.slice(0, MAX_MESSAGE_LENGTH)}…`;
  return safe.trim() === '' || safe === '…' ? null : safe;
}

/** A code (`APIGW.0303`, `Ecs.0031`, a Nova fault name) as it looks, or null. */
export function safeCode(code: string): string | null {
  return /^[\w.-]{1,64}$/.test(code) ? code : null;
}

/** A request id as it looks (letters, digits, `.`, `_`, `:`, `-`, up to 128), or null. */
export function safeRequestId(requestId: string): string | null {
  return /^[\w.:-]{1,128}$/.test(requestId) ? requestId : null;
}
