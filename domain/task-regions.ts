// Where a task may run, checked once at submission: a pinned `region` and the `allowedRegions` of a residency rule
// must name regions this deployment has (the local region or a Lambda target's), and at least one place the task's
// execution mode can use must satisfy them. A LAMBDA task gets its target here; an AUTO task is left to placement,
// which weighs only the targets the rules allow (domain/placement-predictor.ts, activities/decide-placement.ts).
// Pure: the caller maps the thrown TaskInputError to its own error shape.
import type { ExecutionMode, LambdaTargetRef } from './task-model';
import { residencyViolation, type LambdaTarget } from './region-model';

export interface RegionRules {
  region?: string;
  allowedRegions?: readonly string[];
}

export interface RegionChoice {
  /** The target a LAMBDA task is invoked on. */
  lambdaTarget?: LambdaTargetRef;
  /** The rules keep the task out of the local region: it never falls back to LOCAL. */
  lambdaOnly?: true;
}

export class RegionRuleError extends Error {
  override readonly name = 'RegionRuleError';
  constructor(
    readonly problem: 'UNKNOWN_REGION' | 'RESIDENCY_VIOLATION',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The Lambda targets the rules allow, in LAMBDA_TARGETS order with the preferred one (the one on LAMBDA_ENDPOINT)
 * first.
 */
export function allowedTargets(
  rules: RegionRules,
  targets: readonly LambdaTarget[],
  preferred?: string,
): LambdaTarget[] {
  const allowed = targets.filter((t) => residencyViolation(rules, t.region) === undefined);
  return [...allowed.filter((t) => t.name === preferred), ...allowed.filter((t) => t.name !== preferred)];
}

export function localAllowed(rules: RegionRules, localRegion: string): boolean {
  return residencyViolation(rules, localRegion) === undefined;
}

/** Checks the rules of a task with this execution mode; throws RegionRuleError. */
export function chooseRegion(
  rules: RegionRules,
  mode: ExecutionMode,
  deployment: { localRegion: string; targets: readonly LambdaTarget[]; preferredTarget?: string },
): RegionChoice {
  // A task without rules runs wherever placement puts it, on the default target when that is Lambda.
  if (rules.region === undefined && rules.allowedRegions === undefined) return {};
  const known = new Set([deployment.localRegion, ...deployment.targets.map((t) => t.region)]);
  const named = [...(rules.region ? [rules.region] : []), ...(rules.allowedRegions ?? [])];
  const unknown = named.filter((r) => !known.has(r));
  if (unknown.length > 0) {
    throw new RegionRuleError(
      'UNKNOWN_REGION',
      `${unknown.map((r) => `"${r}"`).join(', ')} ${unknown.length === 1 ? 'is not a region' : 'are not regions'} ` +
        `of this deployment; its regions: ${[...known].sort().join(', ')}`,
    );
  }
  if (rules.region && rules.allowedRegions && !rules.allowedRegions.includes(rules.region)) {
    throw new RegionRuleError(
      'RESIDENCY_VIOLATION',
      `the task is pinned to ${rules.region}, which is not among its allowedRegions (${rules.allowedRegions.join(', ')})`,
    );
  }
  const local = localAllowed(rules, deployment.localRegion);
  const targets = allowedTargets(rules, deployment.targets, deployment.preferredTarget);
  const where = rules.region
    ? `pinned to ${rules.region}`
    : `allowed in ${rules.allowedRegions?.join(', ') || 'no region'}`;
  if (mode === 'LOCAL' && !local) {
    throw new RegionRuleError(
      'RESIDENCY_VIOLATION',
      `a LOCAL task runs in the local region ${deployment.localRegion}, but this one is ${where}`,
    );
  }
  if (mode === 'LAMBDA' && targets.length === 0) {
    throw new RegionRuleError('RESIDENCY_VIOLATION', `no Lambda target may run a task ${where}`);
  }
  if (mode === 'AUTO' && !local && targets.length === 0) {
    throw new RegionRuleError('RESIDENCY_VIOLATION', `neither LOCAL nor any Lambda target may run a task ${where}`);
  }
  const first = targets[0];
  return {
    ...(mode === 'LAMBDA' && first ? { lambdaTarget: { name: first.name, region: first.region } } : {}),
    ...(local ? {} : { lambdaOnly: true as const }),
  };
}

/**
 * Makes a decision that did not weigh regions (the threshold rule's, an operator's, a budget's) keep the task's
 * rules: Lambda runs on the first allowed target, and a task barred from the local region goes to one instead.
 * Only the predictive policy weighs regions itself; its decisions pass through unchanged.
 */
export function keepRegionRules<D extends { placement: 'LOCAL' | 'LAMBDA'; reason: string }>(
  decision: D & { target?: LambdaTargetRef; fallbackToLocalOnThrottle?: boolean },
  rules: RegionRules,
  deployment: { localRegion: string; targets: readonly LambdaTarget[]; preferredTarget?: string },
): D & { target?: LambdaTargetRef; fallbackToLocalOnThrottle?: boolean } {
  if (rules.region === undefined && rules.allowedRegions === undefined) return decision;
  const local = localAllowed(rules, deployment.localRegion);
  const first = allowedTargets(rules, deployment.targets, deployment.preferredTarget)[0];
  const target = first ? { name: first.name, region: first.region } : undefined;
  if (decision.placement === 'LAMBDA') {
    if (target) return { ...decision, target, ...(local ? {} : { fallbackToLocalOnThrottle: false }) };
    return local
      ? { ...decision, placement: 'LOCAL', reason: `${decision.reason}; no Lambda target is allowed, so LOCAL` }
      : decision;
  }
  if (!local && target) {
    return {
      ...decision,
      placement: 'LAMBDA',
      target,
      fallbackToLocalOnThrottle: false,
      reason: `${decision.reason}; the local region ${deployment.localRegion} is not allowed, so ${target.name} (${target.region})`,
    };
  }
  return decision;
}
