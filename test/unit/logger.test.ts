import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.js';

// The service's own logger, as main.ts makes it (the tests' captureLogs is a plain pino without this net).
describe('createLogger', () => {
  it('redacts a credential that reaches a line by accident: token and Authorization headers, tokens, keys', () => {
    const lines: string[] = [];
    const logger = createLogger('info', { write: (line: string) => void lines.push(line) });
    logger.info(
      {
        headers: { 'x-auth-token': 'secret-1', authorization: 'Bearer secret-2', 'x-security-token': 'secret-3', accept: 'application/json' },
        request: { headers: { 'x-auth-token': 'secret-4' } },
        token: 'secret-5',
        options: { accessKey: 'secret-6', secretKey: 'secret-7' },
      },
      'an options object logged by mistake',
    );
    expect(JSON.parse(lines.join(''))).toMatchObject({
      headers: { 'x-auth-token': '[redacted]', authorization: '[redacted]', 'x-security-token': '[redacted]', accept: 'application/json' },
      request: { headers: { 'x-auth-token': '[redacted]' } },
      token: '[redacted]',
      options: { accessKey: '[redacted]', secretKey: '[redacted]' },
    });
    expect(lines.join('')).not.toMatch(/secret-\d/);
  });
});
