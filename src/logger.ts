import { pino, type Logger } from 'pino';
import type { YogaLogger } from 'graphql-yoga';

export type { Logger };

/** JSON lines on stdout. */
export function createLogger(level: string): Logger {
  return pino({ level });
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
