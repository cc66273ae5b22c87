/**
 * The baseline of the SIP benchmark: a bare drachtio-srf B2BUA with no billing,
 * bridging every INVITE to one target. Run: tsx bench/sip-bare-b2bua.ts ADMIN_PORT SECRET TARGET_URI
 */
import Srf from 'drachtio-srf';

const [adminPort, secret, target] = process.argv.slice(2);
if (!adminPort || !secret || !target) {
  process.stderr.write('usage: tsx bench/sip-bare-b2bua.ts ADMIN_PORT SECRET TARGET_URI (e.g. sip:127.0.0.1:5090)\n');
  process.exit(2);
}
const targetHost = target.replace(/^sips?:(?:[^@]*@)?/, '');

const srf = new Srf();
srf.on('connect', (err: Error | null) => {
  if (err) process.stderr.write(`bare b2bua: drachtio refused: ${err.message}\n`);
  else process.stdout.write('bare b2bua: connected\n');
});
srf.on('error', () => undefined);
srf.connect({ host: '127.0.0.1', port: Number(adminPort), secret });

srf.invite((req, res) => {
  const user = /^sips?:([^@;]+)@/.exec(req.uri)?.[1] ?? '';
  srf.createB2BUA(req, res, `sip:${user}@${targetHost}`, { passFailure: true }).then(
    ({ uas, uac }) => {
      uas.on('destroy', () => void uac.destroy());
      uac.on('destroy', () => void uas.destroy());
    },
    () => undefined,
  );
});

process.on('SIGTERM', () => {
  srf.disconnect();
  process.exit(0);
});
