import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { EventEmitter, once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './redis.js';

/**
 * A real HAProxy (Debian's `haproxy`, installed by .ci/run) on a loopback port, in front of replicas of the service,
 * checking each one's /readyz as an ELB or kube-proxy's endpoints would. What the rolling-restart test relies on:
 *
 * - `option httpchk GET /readyz` with `check inter 100ms fall 2 rise 2`: a replica that answers 503 (it is draining:
 *   SHUTDOWN_DRAIN_MS) or does not answer is out after 2 failed checks, ~200 ms; a new one is in after 2 good ones.
 *   The replica's drain must outlast that: the test's SHUTDOWN_DRAIN_MS is 1000.
 * - `retries 3` and `option redispatch 1`: a request whose connection to a replica is refused (it stopped accepting,
 *   or died, before a check noticed) is sent again, to another replica; with no redispatch, the retries go to the
 *   same dead one.
 * - `retry-on conn-failure empty-response`: also sent again, a request whose replica closed the connection without
 *   a byte of answer. A SIGKILLed replica's listening socket outlives the signal by tens of milliseconds: the kernel
 *   completes connections to it that nobody will answer (measured: 2 and 3 requests at 100 a second, each started
 *   after the kill, lost without it). Safe here because every operation of this service is a read (the schema has no
 *   Mutation). Only a request whose answer had begun when its replica died is lost.
 * - `option http-server-close`: one connection to a replica per request, never an idle one kept for the next. With
 *   HAProxy's default (idle connections to replicas reused, `http-reuse safe`) and no `retry-on`, requests sent on
 *   one to a replica that was just SIGKILLed were lost although sent after the kill: HAProxy closed the client's
 *   connection without an answer, as HTTP lets it for the client to retry; no client of a GraphQL POST does
 *   (measured: 4 to 6 such, in the ~130 ms before the checks took the replica out). A new connection to a dead
 *   replica is refused, and retried on another.
 * - `timeout check 1s`: a replica slow to answer its check on a loaded machine is not taken out for it.
 *
 * Every request is logged on stdout (`log stdout`): the client's `x-load-id`, the replica that answered, the status
 * and HAProxy's termination state and retries, so that a test can say on which replica each request was. The log is
 * HAProxy's best effort (it drops lines rather than wait for a full pipe): figures from it are printed, not asserted.
 */
export interface HAProxy {
  /** `http://127.0.0.1:<port>` */
  readonly url: URL;
  /** One entry per request, in the order HAProxy logged them. */
  readonly requests: HAProxyRequest[];
  /** The state HAProxy's checks give each replica now, by name (`r0`, `r1`...): `UP`, `DOWN`, `MAINT`, `no check`... */
  serverStates(): Promise<Map<string, string>>;
  /** Resolves once HAProxy gives `server` the state `state` (at once if it has it). */
  waitFor(server: string, state: 'UP' | 'DOWN'): Promise<void>;
  stop(): Promise<void>;
}

export interface HAProxyRequest {
  readonly loadId: string;
  /** The replica's name, or `<NOSRV>`. */
  readonly server: string;
  readonly status: number;
  /** HAProxy's termination state: `--` for a clean end, `SH` for a server that closed mid-request... */
  readonly termination: string;
  /** How many times HAProxy tried the connection again (`+` in front: redispatched to another replica). */
  readonly retries: string;
}

/** Names the replicas `r0`, `r1`... in the order of `replicaPorts`. */
export async function startHAProxy(replicaPorts: readonly number[]): Promise<HAProxy> {
  const dir = await mkdtemp(join(tmpdir(), 'haproxy-'));
  const port = await freePort();
  const socket = join(dir, 'admin.sock');
  const config = join(dir, 'haproxy.cfg');
  await writeFile(
    config,
    [
      'global',
      '  log stdout format raw local0',
      `  stats socket ${socket} level admin`,
      'defaults',
      '  mode http',
      '  log global',
      '  timeout connect 1s',
      '  timeout client 30s',
      '  timeout server 30s',
      '  timeout check 1s',
      '  retries 3',
      '  option redispatch 1',
      '  retry-on conn-failure empty-response',
      '  option http-server-close',
      'frontend graph',
      `  bind 127.0.0.1:${port}`,
      '  http-request capture req.hdr(x-load-id) len 16',
      '  log-format "request %[capture.req.hdr(0)] %s %ST %tsc %rc"',
      '  default_backend replicas',
      'backend replicas',
      '  balance roundrobin',
      '  option httpchk GET /readyz',
      '  http-check expect status 200',
      '  default-server check inter 100ms fall 2 rise 2',
      ...replicaPorts.map((replicaPort, n) => `  server r${n} 127.0.0.1:${replicaPort}`),
      '',
    ].join('\n'),
  );
  const child = spawn('haproxy', ['-db', '-f', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  const requests: HAProxyRequest[] = [];
  const news = new EventEmitter();
  // By whole lines (readline): a line split across two chunks would otherwise go unseen, and a wait for it never end.
  createInterface({ input: child.stdout }).on('line', (line) => {
    // The other lines are HAProxy's warnings, also on stderr.
    const [kind, loadId = '', server = '', status = '', termination = '', retries = ''] = line.split(' ');
    if (kind === 'request') requests.push({ loadId, server, status: Number(status), termination, retries });
  });
  let stderr = '';
  createInterface({ input: child.stderr }).on('line', (line) => {
    stderr += `${line}\n`;
    // HAProxy's warnings, on stderr: "[WARNING]  (1234) : Server replicas/r1 is DOWN, reason: ...".
    for (const change of line.matchAll(/Server replicas\/(\S+) is (UP|DOWN)\b/g)) news.emit(`${change[1]} ${change[2]}`);
  });
  await untilListening(child, socket, () => stderr);

  const serverStates = async () => {
    const csv = await command(socket, 'show stat');
    const [header = '', ...rows] = csv.trim().split('\n');
    const columns = header.replace(/^# /, '').split(',');
    const states = new Map<string, string>();
    for (const row of rows) {
      const fields = row.split(',');
      const at = (name: string) => fields[columns.indexOf(name)] ?? '';
      if (at('pxname') === 'replicas' && !['FRONTEND', 'BACKEND'].includes(at('svname'))) states.set(at('svname'), at('status'));
    }
    return states;
  };
  return {
    url: new URL(`http://127.0.0.1:${port}`),
    requests,
    serverStates,
    async waitFor(server, state) {
      // HAProxy says when a check changes a server's state; it may have changed already.
      const changed = once(news, `${server} ${state}`);
      // `UP 1/2`: up, one check failed (a loaded machine); `DOWN 1/2`: down, one check passed. Only the first word
      // changes with a message.
      if ((await serverStates()).get(server)?.split(' ')[0] === state) return;
      await changed;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await once(child, 'exit');
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Sends one command to HAProxy's admin socket and resolves with its whole answer. */
function command(socket: string, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const connection = connect(socket, () => connection.end(`${text}\n`));
    connection.on('data', (chunk: Buffer) => (answer += chunk.toString()));
    connection.on('end', () => resolve(answer));
    connection.on('error', reject);
  });
}

/** Resolves once the admin socket answers, rejects if HAProxy exits first (a bad configuration, say). */
async function untilListening(child: ChildProcess, socket: string, stderr: () => string): Promise<void> {
  const exited = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`cannot run haproxy (apt-get install haproxy): ${error.message}`)));
    child.once('exit', (code) => reject(new Error(`haproxy exited with ${code}:\n${stderr()}`)));
  });
  const answers = async (): Promise<void> => {
    for (;;) {
      const ok = await command(socket, 'show info').then(
        () => true,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setImmediate(resolve));
    }
  };
  await Promise.race([answers(), exited]);
  child.removeAllListeners('exit');
}
