import { registerMetricsSource } from '../../engine/metrics-export.ts';
import type { ControlPlane } from '../../server/control-plane.ts';

const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');

/**
 * The control loop on GET /metrics: the latest live figures of the active
 * version (Q and each metric), the cycle count, the Tuner's changes by action
 * and the approvals waiting, so a Prometheus scrape follows the loop too.
 */
export function exportControlMetrics(control: ControlPlane): () => void {
  return registerMetricsSource('control', async () => {
    const live = await control.live.snapshot();
    const audit = await control.parameters.audit();
    const pending = (await control.approvals.list()).filter((a) => a.status === 'pending').length;
    const version = `version="${esc(live.active_version)}"`;
    const lines = [
      '# HELP maasflow_control_q Q of the active version on its latest traffic (docs/CONTROL.md).',
      '# TYPE maasflow_control_q gauge',
      ...(live.q === null ? [] : [`maasflow_control_q{${version}} ${live.q}`]),
      '# HELP maasflow_control_metric The Teacher\'s metrics of the active version on its latest traffic.',
      '# TYPE maasflow_control_metric gauge',
      ...Object.entries(live.metrics).flatMap(([m, v]) => (v === null || v === undefined ? [] : [`maasflow_control_metric{${version},metric="${m}"} ${v}`])),
      '# HELP maasflow_control_cycle The latest cycle the Manager ran.',
      '# TYPE maasflow_control_cycle gauge',
      `maasflow_control_cycle ${live.cycle}`,
      '# HELP maasflow_control_changes_total Changes the Tuner made, by action (parameter_audit).',
      '# TYPE maasflow_control_changes_total counter',
      ...[...new Set(audit.map((e) => e.action))].sort().map((a) => `maasflow_control_changes_total{action="${a}"} ${audit.filter((e) => e.action === a).length}`),
      '# HELP maasflow_control_approvals_pending Changes waiting for a person.',
      '# TYPE maasflow_control_approvals_pending gauge',
      `maasflow_control_approvals_pending ${pending}`,
    ];
    return `${lines.join('\n')}\n`;
  });
}
