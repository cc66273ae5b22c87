/**
 * The alert rules as Prometheus reads them: promtool checks the rule file and
 * the scrape config that loads it, and runs the rule unit tests, in which every
 * alert fires on a series that should page and stays quiet on one that should not.
 * promtool comes from Debian's `prometheus` package (npm test installs it).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../src/metrics.js';
import { REPO } from '../support/cli.js';
import { alertRules, ruleMetricNames, type Rule } from '../support/ops-metrics.js';

const read = (path: string) => readFileSync(`${REPO}${path}`, 'utf8');

function promtool(args: string[]): { code: number | null; out: string } {
  const r = spawnSync('promtool', args, { cwd: REPO, encoding: 'utf8', timeout: 60_000 });
  if (r.error) throw new Error(`cannot run promtool (npm test installs Debian's prometheus package): ${r.error.message}`);
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

type AlertTest = { alertname: string; exp_alerts: Array<{ exp_labels: Record<string, string> }> };
type TestFile = { tests: Array<{ name: string; alert_rule_test?: AlertTest[] }> };

const rules = alertRules();
const alerts = rules.groups.flatMap((g) => g.rules).filter((r): r is Rule & { alert: string } => r.alert !== undefined);

describe('config/prometheus-alerts.yml', () => {
  it('passes promtool check rules, and config/prometheus.yml (which loads it) passes promtool check config', () => {
    const rulesCheck = promtool(['check', 'rules', 'config/prometheus-alerts.yml']);
    expect(rulesCheck.out).toMatch(/SUCCESS: \d+ rules found/);
    expect(rulesCheck.code, rulesCheck.out).toBe(0);
    const configCheck = promtool(['check', 'config', 'config/prometheus.yml']);
    expect(configCheck.code, configCheck.out).toBe(0);
    expect(configCheck.out).toContain('1 rule files found');
  });

  it('passes promtool test rules (config/prometheus-alerts.test.yml)', { timeout: 120_000 }, () => {
    const r = promtool(['test', 'rules', 'config/prometheus-alerts.test.yml']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('SUCCESS');
  });

  it('has a severity, a summary, a description and a README runbook entry for every alert', () => {
    expect(alerts.length).toBeGreaterThan(20);
    const readme = read('README.md');
    for (const a of alerts) {
      expect(['critical', 'warning'], a.alert).toContain(a.labels?.severity);
      expect(a.annotations?.summary, a.alert).toBeTruthy();
      expect(a.annotations?.description, a.alert).toBeTruthy();
      expect(a.annotations?.runbook, a.alert).toBe(`README.md#${a.alert.toLowerCase()}`);
      expect(readme, `README runbook for ${a.alert}`).toContain(`#### ${a.alert}\n`);
    }
  });

  it('has a unit test for every alert: one evaluation where it fires, one where it stays quiet', () => {
    const tests = (parseYaml(read('config/prometheus-alerts.test.yml')) as TestFile).tests.flatMap((t) => t.alert_rule_test ?? []);
    for (const a of alerts) {
      const mine = tests.filter((t) => t.alertname === a.alert);
      expect(mine.some((t) => t.exp_alerts.length > 0), `${a.alert} fires in a test`).toBe(true);
      expect(mine.some((t) => t.exp_alerts.length === 0), `${a.alert} stays quiet in a test`).toBe(true);
    }
  });

  it('reads only metrics the gateway exports (Node.js and process metrics under their standard names)', async () => {
    const metrics = createMetrics({ defaultMetrics: true });
    const exported = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name));
    const used = ruleMetricNames();
    expect(used.size).toBeGreaterThan(15);
    for (const name of used) expect(exported, `alert rules use ${name}`).toContain(name);
    expect([...exported].filter((n) => n.startsWith('tollgate_process') || n.startsWith('tollgate_nodejs'))).toEqual([]);
    expect(exported).toContain('nodejs_eventloop_lag_seconds');
    expect(exported).toContain('process_resident_memory_bytes');
  });
});
