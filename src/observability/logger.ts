import { pino, type DestinationStream, type Logger } from 'pino';
import type { YogaLogger } from 'graphql-yoga';

export type { Logger };

/**
 * Where a credential could hide in a log line. Nothing logs these on purpose; the redaction is the net
 * under that rule, for a header map or an options object that ends up in a line by accident.
 */
const REDACTED_PATHS = [
  'headers["x-auth-token"]',
  'headers.authorization',
  'headers["x-security-token"]',
  '*.headers["x-auth-token"]',
  '*.headers.authorization',
  '*.headers["x-security-token"]',
  '*.*.headers["x-auth-token"]',
  '*.*.headers.authorization',
  'token',
  'authToken',
  'accessKey',
  'secretKey',
  'securityToken',
  '*.token',
  '*.authToken',
  '*.accessKey',
  '*.secretKey',
  '*.securityToken',
];

/**
 * JSON lines on stdout (or `destination`), credentials redacted. Stdout is written asynchronously: the lines
 * of many requests go out in one write, instead of one blocking write each (pino flushes what is left when the
 * process exits).
 */
export function createLogger(level: string, destination: DestinationStream = bufferedStdout()): Logger {
  return pino({ level, redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, destination);
}

/** How long a line may wait in the buffer, and how much the buffer holds before it is written anyway. */
const FLUSH_EVERY_MS = 100;
const BUFFER_BYTES = 8 * 1024;
/** The most held when stdout stalls (a slow log collector): past it, lines are dropped, not the process's memory. */
const MAX_BUFFER_BYTES = 16 * 1024 * 1024;

/**
 * Stdout, written in batches: under load, hundreds of lines go out in one write instead of one write each
 * (`sync: false` alone writes whenever the previous write is done, which is nearly every line). The price: a
 * process killed outright (SIGKILL, an abort, running out of heap) loses the last 100 ms of lines.
 */
function bufferedStdout(): DestinationStream {
  const stdout = pino.destination({ dest: 1, sync: false, minLength: BUFFER_BYTES, maxLength: MAX_BUFFER_BYTES });
  setInterval(() => stdout.flush(), FLUSH_EVERY_MS).unref();
  return stdout;
}

/** Yoga logs through the service's logger, so its lines share the format. */
export function yogaLogger(logger: Logger): YogaLogger {
  const forward = (level: 'debug' | 'info' | 'warn' | 'error') => (...args: unknown[]) => {
    const [first, ...rest] = args;
    if (first instanceof Error) logger[level]({ err: first }, first.message);
    else logger[level]({ details: rest.length > 0 ? rest : undefined }, String(first));
  };
  return { debug: forward('debug'), info: forward('info'), warn: forward('warn'), error: forward('error') };
}
