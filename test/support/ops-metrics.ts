/**
 * The metric names the operations files read: the Grafana dashboard's panel
 * queries and the Prometheus alert and recording rules.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { REPO } from './cli.js';

/** Metric names a PromQL expression reads; recording-rule names (with a colon) and `up` aside. */
export function metricNames(expr: string): string[] {
  return [...expr.matchAll(/\b(?:tollgate|nodejs|process)_[a-z0-9_]+/g)].map((m) => m[0].replace(/_(bucket|sum|count)$/, ''));
}

export type Rule = { alert?: string; record?: string; expr: string; for?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
export type RuleFile = { groups: Array<{ name: string; rules: Rule[] }> };

export const ALERT_RULES = 'config/prometheus-alerts.yml';

export function alertRules(): RuleFile {
  return parseYaml(readFileSync(`${REPO}${ALERT_RULES}`, 'utf8')) as RuleFile;
}

export function ruleMetricNames(): Set<string> {
  return new Set(alertRules().groups.flatMap((g) => g.rules).flatMap((r) => metricNames(r.expr)));
}

export function dashboardMetricNames(): Set<string> {
  const dashboard = JSON.parse(readFileSync(`${REPO}config/grafana-dashboard.json`, 'utf8')) as { panels: Array<{ targets?: Array<{ expr: string }> }> };
  return new Set(dashboard.panels.flatMap((p) => p.targets ?? []).flatMap((t) => metricNames(t.expr)));
}
