import { EnvError, makeExactValidator, makeValidator } from 'envalid';

/**
 * The validators of src/config/: each reads one environment variable and, when it cannot, says exactly
 * what it needs. A value that may be secret is never echoed.
 */

interface Spec<T> {
  readonly default: T;
  readonly desc: string;
}

/** A whole number from `min` to `max`, with a message that names the range. */
export function integer(min: number, max: number) {
  return makeValidator<number>((input) => {
    const value = /^\d+$/.test(input.trim()) ? Number(input) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new EnvError(`must be a whole number from ${min} to ${max}, got "${input}"`);
    }
    return value;
  });
}

/**
 * A whole number from `min` to `max`, or empty for "not set"; kept as its digits, so that empty can stay empty
 * (envalid refuses a value that reads as undefined). `what` names it in the message.
 */
export function optionalInteger(min: number, max: number, what = 'a whole number') {
  return makeValidator<string>((input) => {
    const value = input.trim();
    if (value !== '' && !(/^\d+$/.test(value) && Number(value) >= min && Number(value) <= max)) {
      throw new EnvError(`must be ${what} from ${min} to ${max}, or empty for none, got "${input}"`);
    }
    return value;
  });
}

/** A TCP port (0 picks a free one), or empty for none. */
export const optionalPort = () => optionalInteger(0, 65_535, 'a port');

/**
 * NODE_ENV: any value, as Node's ecosystem allows, but `production` only as exactly that: a `Production` that
 * silently meant "not production" would start the sandbox where real data was expected.
 */
export function nodeEnvironment() {
  return makeValidator<string>((input) => {
    if (input !== 'production' && input.trim().toLowerCase() === 'production') throw new EnvError(`must be exactly "production" (lower case, no spaces) to mean production, got "${input}"`);
    return input;
  });
}

/** A number strictly between 0 and 1. */
export function fraction() {
  return makeValidator<number>((input) => {
    const value = /^\s*(0?\.\d+|0|1)\s*$/.test(input) ? Number(input) : Number.NaN;
    if (!(value > 0 && value < 1)) throw new EnvError(`must be a number between 0 and 1 (exclusive), got "${input}"`);
    return value;
  });
}

/** A value that is never echoed in an error message. */
export function secret(spec: Spec<string>) {
  return makeValidator<string>((input) => {
    if (input !== input.trim()) throw new EnvError('must not start or end with spaces (the value is not shown)');
    return input;
  })(spec);
}

/** A comma-separated list; `normalise` returns each item cleaned, or undefined when it is not `what`. */
function commaList(normalise: (item: string) => string | undefined, what: string) {
  return (spec: Spec<string>) =>
    makeExactValidator<string[]>((input) => {
      const items = input
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== '');
      const cleaned = items.map(normalise);
      const bad = cleaned.findIndex((item) => item === undefined);
      if (bad !== -1) throw new EnvError(`item ${bad + 1} is not ${what}`);
      return cleaned as string[];
    })({ ...spec, default: [] as string[] });
}

/** Comma-separated project ids, lower-cased. */
export const projectIdList = commaList((id) => (/^[0-9a-f]{32}$/i.test(id) ? id.toLowerCase() : undefined), 'a project id (32 hexadecimal characters)');

/**
 * Comma-separated `host:port` addresses (a host name, an IPv4 address or a bracketed IPv6 one, and a port from 1 to
 * 65535), as Sentinel and Cluster deployments list their nodes. Kept as written; readRedis splits them.
 */
export const hostPortList = commaList((item) => (parseHostPort(item) ? item : undefined), 'a host:port such as redis-0.redis:6379');

/** `host:port` as ioredis takes it (an IPv6 address without its brackets), or undefined when `text` is not one. */
export function parseHostPort(text: string): { host: string; port: number } | undefined {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || !(port >= 1 && port <= 65_535)) return undefined;
  return { host: match[1] ?? match[2]!, port };
}

/** Comma-separated browser origins: scheme, host and port, nothing else. */
export const originList = commaList((origin) => {
  try {
    return new URL(origin).origin === origin ? origin : undefined;
  } catch {
    return undefined;
  }
}, 'an origin such as https://app.example.com (scheme, host and port only)');

/**
 * An optional URL with one of `schemes`, checked by `check` (which throws EnvError). Empty stays empty.
 * The value is never echoed: a URL may carry a password.
 */
export function urlSetting(schemes: readonly string[], example: string, check: (url: URL) => void = () => undefined) {
  return (spec: Spec<string>) =>
    makeValidator<string>((input) => {
      if (input === '') return '';
      let url: URL;
      try {
        url = new URL(input);
      } catch {
        throw new EnvError(`must be a URL such as ${example}`);
      }
      if (!schemes.includes(url.protocol)) throw new EnvError(`must use ${schemes.map((scheme) => scheme.replace(':', '')).join(' or ')}`);
      check(url);
      return url.href;
    })(spec);
}

export const redisUrl = urlSetting(['redis:', 'rediss:'], 'redis://127.0.0.1:6379/0');

/** Credentials in a URL would end up in logs (a URL is logged when it cannot be reached): refused. */
function withoutCredentials(url: URL): void {
  if (url.username !== '' || url.password !== '') throw new EnvError('must not contain credentials');
}

/** An upstream API's base URL: no credentials, query or fragment. */
export const endpointUrl = urlSetting(['http:', 'https:'], 'https://ecs.cn-north-4.myhuaweicloud.com', (url) => {
  withoutCredentials(url);
  if (url.search !== '' || url.hash !== '') throw new EnvError('must not have a query string or fragment');
});

/** A public key set's URL: no credentials. */
export const jwksUrl = urlSetting(['http:', 'https:'], 'https://auth.example.com/.well-known/jwks.json', withoutCredentials);

/** A share of events, 0 (none) to 1 (all). */
export function sampleRate() {
  return makeValidator<number>((input) => {
    const value = /^\s*(0?\.\d+|0|1|1\.0*)\s*$/.test(input) ? Number(input) : Number.NaN;
    if (!(value >= 0 && value <= 1)) throw new EnvError(`must be a number from 0 to 1, got "${input}"`);
    return value;
  });
}

/** A calendar date, `YYYY-MM-DD` (UTC midnight); with `optional`, also empty for none. */
export function calendarDate({ optional = false } = {}) {
  return makeValidator<string>((input) => {
    if (input === '' && optional) return '';
    if (!/^\d{4}-\d{2}-\d{2}$/.test(input) || Number.isNaN(Date.parse(`${input}T00:00:00Z`)) || new Date(`${input}T00:00:00Z`).toISOString().slice(0, 10) !== input) {
      throw new EnvError(`must be a date such as 2027-06-30, got "${input}"`);
    }
    return input;
  });
}
