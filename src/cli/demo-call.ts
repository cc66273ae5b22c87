/**
 * `tollgate demo call --from USER --to NUMBER [--seconds N]`: one real call
 * through the running demo's Kamailio with sipp (a sipp carrier answering),
 * then what Tollgate made of it: decision, funded seconds, answered time,
 * charge, the usage record and the balance after, or the cut-off.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseOptions, UsageError, usageMistake } from './args.js';
import { loadCliConfig } from './load-config.js';

export const USAGE =
  'usage: tollgate demo call --from USER --to NUMBER [--seconds N] [--tenant ID] [--config FILE] [--data-dir DIR]\n' +
  '  places one real SIP call (sipp) through the running demo\'s Kamailio as USER of tenant ID\n' +
  '  (default demo) to NUMBER, answered by a sipp carrier, held N seconds (default 5), and prints\n' +
  '  the decision, funded seconds, answered duration, charge, usage record and balance after.\n';

export interface DemoSipState {
  sipPort: number;
  rpcPort: number;
  pid: number;
  httpUrl: string;
}

/** Where `tollgate demo` records its Kamailio (beside the Redis data directory). */
export function demoSipStateFile(dataDir: string): string {
  return join(resolve(dataDir, '..'), 'kamailio', 'demo-sip.json');
}

function callerScenario(p: { tenant: string; user: string; holdMs: number; waitMs: number }): string {
  const refused = [400, 402, 403, 404, 408, 480, 484, 486, 487, 488, 500, 503, 603]
    .map((code) => `  <recv response="${code}" optional="true" next="refused"/>`)
    .join('\n');
  const common = (method: string, cseq: string, routes: boolean): string => `
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:${p.user}@[local_ip]:[local_port]>;tag=demo[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>${method === 'INVITE' && !routes ? '' : '[peer_tag_param]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Contact: <sip:demo@[local_ip]:[local_port]>
      Max-Forwards: 70${routes ? '\n      [routes]' : ''}`;
  return `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="tollgate demo call">
  <send retrans="500">
    <![CDATA[
      INVITE sip:[service]@[remote_ip]:[remote_port] SIP/2.0${common('INVITE', '1', false)}
      X-Tollgate-Tenant: ${p.tenant}
      X-Tollgate-User: ${p.user}
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=demo 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="183" optional="true"/>
${refused}
  <recv response="200" rrs="true"/>
  <send>
    <![CDATA[
      ACK [next_url] SIP/2.0${common('ACK', '1', true)}
      Content-Length: 0
    ]]>
  </send>
  <recv request="BYE" timeout="${p.holdMs}" ontimeout="hangup"/>
  <send next="done">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
  <label id="hangup"/>
  <send retrans="500">
    <![CDATA[
      BYE [next_url] SIP/2.0${common('BYE', '2', true)}
      Content-Length: 0
    ]]>
  </send>
  <recv response="200" timeout="${p.waitMs}" next="done"/>
  <label id="refused"/>
  <send>
    <![CDATA[
      ACK sip:[service]@[remote_ip]:[remote_port] SIP/2.0
      [last_Via:]
      From: <sip:${p.user}@[local_ip]:[local_port]>;tag=demo[call_number]
      To: <sip:[service]@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0
    ]]>
  </send>
  <label id="done"/>
</scenario>
`;
}

const CARRIER_SCENARIO = `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="tollgate demo carrier">
  <recv request="INVITE" crlf="true" rrs="true"/>
  <send>
    <![CDATA[
      SIP/2.0 180 Ringing
      [last_Via:]
      [last_From:]
      [last_To:];tag=carrier[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Content-Length: 0
    ]]>
  </send>
  <send retrans="500">
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:];tag=carrier[call_number]
      [last_Call-ID:]
      [last_CSeq:]
      [last_Record-Route:]
      Contact: <sip:carrier@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=carrier 1 1 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio [media_port] RTP/AVP 0
      a=rtpmap:0 PCMU/8000
    ]]>
  </send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send>
    <![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0
    ]]>
  </send>
</scenario>
`;

interface Sipp {
  done: Promise<number | null>;
  stop(): void;
}

function sipp(args: string[]): Sipp {
  const proc = spawn('sipp', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  proc.stderr?.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  const done = new Promise<number | null>((resolve, reject) => {
    proc.once('error', (e) => reject(new Error(`cannot run sipp (${e.message}); install it (Debian: sip-tester, npm run system-deps)`)));
    proc.once('close', (code) => resolve(code));
  });
  return {
    done,
    stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    },
  };
}

/** The SIP messages of a sipp -trace_msg file, one string each. */
function messages(dir: string, who: string): string[] {
  const text = readdirSync(dir)
    .filter((f) => f.startsWith(`${who}-messages`))
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('\n')
    .replace(/\r\n/g, '\n');
  return text
    .split(/\n\s*\n/)
    .map((b) => b.replace(/^[\s\S]*?(?=^(?:SIP\/2\.0 |[A-Z]+ sips?:))/m, ''))
    .filter((b) => /^(?:SIP\/2\.0 |[A-Z]+ sips?:)/.test(b));
}

function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const sock = createSocket('udp4');
    sock.once('error', reject);
    sock.bind(0, '127.0.0.1', () => {
      const { port } = sock.address();
      sock.close(() => resolve(port));
    });
  });
}

const header = (msg: string, name: string): string | undefined => new RegExp(`^${name}:\\s*(.*)$`, 'im').exec(msg)?.[1]?.trim();

async function api(base: string, token: string, path: string): Promise<Response> {
  return fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(5000) });
}

/** One CSV line into fields (RFC 4180 quoting). */
function csvFields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      out.push(cur);
      cur = '';
    } else cur += ch;
  }
  out.push(cur);
  return out;
}

export async function run(argv: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseOptions(argv, {
      from: { type: 'string' },
      to: { type: 'string' },
      seconds: { type: 'string' },
      tenant: { type: 'string' },
      config: { type: 'string', short: 'c' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    }));
  } catch (err) {
    if (err instanceof UsageError) return usageMistake('demo call', err, USAGE);
    throw err;
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (!values.from || !values.to) return usageMistake('demo call', new UsageError('--from USER and --to NUMBER are required'), USAGE);
  const seconds = values.seconds === undefined ? 5 : Number(values.seconds);
  if (!Number.isInteger(seconds) || seconds < 1 || seconds > 3600) {
    return usageMistake('demo call', new UsageError('--seconds must be a whole number from 1 to 3600'), USAGE);
  }
  const tenant = values.tenant ?? 'demo';
  const config = loadCliConfig(values.config);
  if (!config) return 1;
  const stateFile = demoSipStateFile(values['data-dir'] ?? '.demo/redis');
  let state: DemoSipState;
  try {
    state = JSON.parse(readFileSync(stateFile, 'utf8')) as DemoSipState;
    process.kill(state.pid, 0);
  } catch {
    process.stderr.write(`tollgate demo call: no demo Kamailio running (${stateFile}); start the demo first: npm start\n`);
    return 1;
  }
  const trunk = config.sip.peers.find((p) => p.name === config.sip.defaultTrunk);
  const carrierPort = Number(/:(\d+)(?:;|$)/.exec(trunk?.uri ?? '')?.[1] ?? 5090);
  const token = config.http.adminToken;
  const base = state.httpUrl;

  const before = await api(base, token, `/v1/tenants/${encodeURIComponent(tenant)}/balance`);
  if (!before.ok) {
    process.stderr.write(`tollgate demo call: tenant "${tenant}": ${before.status} ${await before.text()}\n`);
    return 1;
  }
  const balanceBefore = ((await before.json()) as { balance: string }).balance;

  const dir = mkdtempSync(join(tmpdir(), 'tollgate-demo-call-'));
  // sipp knows its calls by Call-ID: it makes this one from -cid_str ("%u" is the call number, 1).
  const callPrefix = `demo-${randomBytes(6).toString('hex')}`;
  const callId = `${callPrefix}-1`;
  writeFileSync(join(dir, 'caller.xml'), callerScenario({ tenant, user: values.from, holdMs: seconds * 1000, waitMs: 5000 }));
  writeFileSync(join(dir, 'carrier.xml'), CARRIER_SCENARIO);
  const startedAt = Date.now();
  const carrier = sipp(['-sf', join(dir, 'carrier.xml'), '-i', '127.0.0.1', '-p', String(carrierPort), '-m', '1', '-nostdin', '-trace_msg', '-message_file', join(dir, 'carrier-messages.log')]);
  await new Promise((r) => setTimeout(r, 300));
  const caller = sipp([
    '-sf', join(dir, 'caller.xml'), '-i', '127.0.0.1', '-p', String(await freeUdpPort()), '-m', '1', '-nostdin', '-s', values.to,
    '-trace_msg', '-message_file', join(dir, 'caller-messages.log'), '-timeout', `${seconds + 60}s`, '-cid_str', `${callPrefix}-%u`,
    `127.0.0.1:${state.sipPort}`,
  ]);
  // While the call is up, the live-call view says what is funded.
  let fundedSeconds: number | undefined;
  let answeredAt: number | undefined;
  const watch = setInterval(() => {
    void api(base, token, `/v1/calls?tenantId=${encodeURIComponent(tenant)}`)
      .then((r) => r.json() as Promise<{ calls: Array<{ callId: string; fundedSeconds: number; state: string }> }>)
      .then((body) => {
        const live = body.calls.find((c) => c.callId === callId);
        if (live) fundedSeconds = live.fundedSeconds;
        if (live?.state === 'answered' && answeredAt === undefined) answeredAt = Date.now();
      })
      .catch(() => undefined);
  }, 200);
  try {
    await caller.done;
  } finally {
    clearInterval(watch);
    setTimeout(() => carrier.stop(), 1000).unref();
    await Promise.race([carrier.done, new Promise((r) => setTimeout(r, 1500))]);
  }
  const endedAt = Date.now();
  const seen = messages(dir, 'caller');
  if (process.env.TOLLGATE_KEEP_LOGS) process.stderr.write(`tollgate demo call: sipp traces kept in ${dir}\n`);
  else rmSync(dir, { recursive: true, force: true });
  const final = seen.find((m) => /^SIP\/2\.0 [2-6]\d\d /.test(m) && /INVITE/.test(header(m, 'CSeq') ?? ''));
  const status = final ? Number(/^SIP\/2\.0 (\d{3})/.exec(final)![1]) : undefined;
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`call ${callId}: ${tenant}/${values.from} -> ${values.to} through Kamailio at 127.0.0.1:${state.sipPort}`);
  if (status === undefined) {
    out('decision: no answer from Kamailio (is the demo running?)');
    return 1;
  }
  if (status !== 200) {
    out(`decision: refused ${status} ${final!.split('\n')[0]!.replace(/^SIP\/2\.0 \d{3} /, '')}` +
      `${header(final!, 'X-Tollgate-Reason') ? ` (${header(final!, 'X-Tollgate-Reason')})` : ''}`);
    const warning = header(final!, 'Warning');
    if (warning) out(`reason: ${warning}`);
  } else {
    out(`decision: allowed, answered (funded ${fundedSeconds ?? '?'} s at the answer)`);
    const byeFromNetwork = seen.find((m) => m.startsWith('BYE ') && /^Reason:/im.test(m));
    if (byeFromNetwork) {
      out(`cut off by Tollgate after ${((endedAt - (answeredAt ?? startedAt)) / 1000).toFixed(1)} s: Reason: ${header(byeFromNetwork, 'Reason')}`);
    } else out(`hung up by the caller after ${seconds} s`);
  }
  // The usage record, once the call has settled.
  let record: Record<string, string> | undefined;
  for (let i = 0; i < 30 && !record; i++) {
    const from = new Date(startedAt - 60_000).toISOString();
    const to = new Date(Date.now() + 60_000).toISOString();
    const res = await api(base, token, `/v1/tenants/${encodeURIComponent(tenant)}/usage.csv?from=${from}&to=${to}`);
    if (res.ok) {
      const lines = (await res.text()).replace(/^\uFEFF/, '').split(/\r\n/).filter(Boolean);
      const cols = csvFields(lines[0] ?? '');
      const row = lines.slice(1).map(csvFields).find((f) => f[cols.indexOf('Call ID')] === callId);
      if (row) record = Object.fromEntries(cols.map((c, j) => [c, row[j] ?? '']));
    }
    if (!record) await new Promise((r) => setTimeout(r, 200));
  }
  if (record) {
    out(`answered duration: ${record['Duration Seconds']} s; charge: ${record['Charge']} ${record['Currency']} (end reason ${record['End Reason']}, paid by ${record['Capability'] || 'none'})`);
    out(`usage record: ${JSON.stringify(record)}`);
  } else out('usage record: none (a call refused before its payer was known leaves none)');
  const after = await api(base, token, `/v1/tenants/${encodeURIComponent(tenant)}/balance`);
  const view = (await after.json()) as { balance: string; available: string };
  out(`balance: ${balanceBefore} before, ${view.balance} after (available ${view.available})`);
  return 0;
}
