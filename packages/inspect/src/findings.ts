/** How much a finding matters. `critical` makes `writ inspect` exit non-zero. */
export const severities = ['critical', 'warning', 'info'] as const;

export type Severity = (typeof severities)[number];

/** One thing `writ inspect` noticed about a token. */
export interface Finding {
  /** Stable identifier, for scripts and for the table in docs/inspect.md. */
  readonly id: string;
  readonly severity: Severity;
  /** One sentence: what is wrong and why it matters. */
  readonly message: string;
}

export function finding(id: string, severity: Severity, message: string): Finding {
  return { id, severity, message };
}

/** Findings ordered by severity (critical first), keeping rule order within a severity. */
export function bySeverity(findings: readonly Finding[]): readonly Finding[] {
  return severities.flatMap((severity) => findings.filter((f) => f.severity === severity));
}

export function countBySeverity(findings: readonly Finding[]): Readonly<Record<Severity, number>> {
  const count = (severity: Severity): number =>
    findings.filter((f) => f.severity === severity).length;
  return { critical: count('critical'), warning: count('warning'), info: count('info') };
}
