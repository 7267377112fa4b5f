/**
 * An attacker's scripts against fresh services with their defaults: each abuse of the abuse-resistance issues,
 * run over real HTTP against the service and the sandbox as separate processes, with the figure it reaches.
 * Prints figures; asserts nothing (the tests prove each refusal; this measures what it costs).
 * Usage: npm run abuse [-- --seconds 5 --names-seconds 80 --key-set-hang-seconds 60 --only round-one,round-two]
 */
import { parseArgs } from 'node:util';
import { agent, startSandbox } from './abuse/harness.js';
import { roundOne } from './abuse/round-one.js';
import { roundTwo } from './abuse/round-two.js';

const ROUNDS = { 'round-one': roundOne, 'round-two': roundTwo };
const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '5' },
    'names-seconds': { type: 'string', default: '80' },
    'key-set-hang-seconds': { type: 'string', default: '60' },
    only: { type: 'string', default: Object.keys(ROUNDS).join(',') },
    help: { type: 'boolean', default: false },
  },
});
if (values.help) {
  process.stdout.write(
    'npm run abuse [-- options]\n' +
      '  --seconds N         how long each loop of an attack runs (5)\n' +
      '  --names-seconds N   how long the flood of random operation and client names runs (80)\n' +
      '  --key-set-hang-seconds N   how long the JWKS hangs while the keys are known (60)\n' +
      `  --only a,b          which rounds to run (${Object.keys(ROUNDS).join(', ')}; all by default)\n`,
  );
  process.exit(0);
}
const seconds = Number(values.seconds);
const sandbox = await startSandbox();
console.log(`node ${process.version}, ${seconds} s per loop; services with their defaults against the sandbox\n`);
for (const name of values.only.split(',')) {
  if (!(name in ROUNDS)) throw new Error(`no round ${name}: ${Object.keys(ROUNDS).join(', ')}`);
  console.log(`--- ${name}`);
  if (name === 'round-one') await roundOne(sandbox, seconds);
  else await roundTwo(sandbox, { seconds, namesSeconds: Number(values['names-seconds']), keySetHangSeconds: Number(values['key-set-hang-seconds']) });
}
sandbox.child.kill('SIGTERM');
await agent.close();
