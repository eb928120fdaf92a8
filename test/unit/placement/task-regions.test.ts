import { chooseRegion, keepRegionRules, RegionRuleError } from '../../../domain/task-regions';
import type { LambdaTarget } from '../../../domain/region-model';

const targets: LambdaTarget[] = [
  { name: 'east', region: 'us-east-1', endpoint: 'http://127.0.0.1:9001' },
  { name: 'west', region: 'us-west-2', endpoint: 'http://127.0.0.1:9002' },
  { name: 'west-b', region: 'us-west-2', endpoint: 'http://127.0.0.1:9003' },
];
const deployment = { localRegion: 'eu-central-1', targets, preferredTarget: 'east' };

function problem(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    return err instanceof RegionRuleError ? err.problem : String(err);
  }
}

describe('chooseRegion at submission', () => {
  it.each([
    ['no rules, LAMBDA: the default target, no pin recorded', {}, 'LAMBDA', {}],
    [
      'pinned LAMBDA: the first target of the region',
      { region: 'us-west-2' },
      'LAMBDA',
      { lambdaTarget: { name: 'west', region: 'us-west-2' }, lambdaOnly: true },
    ],
    [
      'allowed regions LAMBDA: the preferred target first',
      { allowedRegions: ['us-west-2', 'us-east-1'] },
      'LAMBDA',
      { lambdaTarget: { name: 'east', region: 'us-east-1' }, lambdaOnly: true },
    ],
    ['LOCAL allowed in the local region', { allowedRegions: ['eu-central-1'] }, 'LOCAL', {}],
    [
      'AUTO kept off the local region never falls back to it',
      { allowedRegions: ['us-west-2'] },
      'AUTO',
      { lambdaOnly: true },
    ],
    ['AUTO pinned to the local region', { region: 'eu-central-1' }, 'AUTO', {}],
  ] as const)('%s', (_name, rules, mode, expected) => {
    expect(chooseRegion(rules, mode, deployment)).toEqual(expected);
  });

  it.each([
    ['an unknown pinned region', { region: 'ap-south-9' }, 'AUTO', 'UNKNOWN_REGION'],
    ['an unknown allowed region', { allowedRegions: ['us-east-1', 'mars-1'] }, 'LAMBDA', 'UNKNOWN_REGION'],
    [
      'a pin outside the allowed regions',
      { region: 'us-east-1', allowedRegions: ['us-west-2'] },
      'LAMBDA',
      'RESIDENCY_VIOLATION',
    ],
    ['LOCAL outside the allowed regions', { allowedRegions: ['us-west-2'] }, 'LOCAL', 'RESIDENCY_VIOLATION'],
    [
      'LAMBDA pinned to the local region, where no target is',
      { region: 'eu-central-1' },
      'LAMBDA',
      'RESIDENCY_VIOLATION',
    ],
  ] as const)('refuses %s', (_name, rules, mode, expected) => {
    expect(problem(() => chooseRegion(rules, mode, deployment))).toBe(expected);
  });
});

describe('keepRegionRules on a decision that did not weigh regions', () => {
  const lambda = { placement: 'LAMBDA' as const, reason: 'threshold reached', fallbackToLocalOnThrottle: true };
  const local = { placement: 'LOCAL' as const, reason: 'below threshold' };

  it('leaves a task without rules as it was', () => {
    expect(keepRegionRules(lambda, {}, deployment)).toBe(lambda);
  });

  it('sends Lambda to the first allowed target and stops the fallback to a barred local region', () => {
    expect(keepRegionRules(lambda, { allowedRegions: ['us-west-2'] }, deployment)).toEqual({
      ...lambda,
      target: { name: 'west', region: 'us-west-2' },
      fallbackToLocalOnThrottle: false,
    });
  });

  it('keeps the fallback where the local region is allowed', () => {
    expect(keepRegionRules(lambda, { allowedRegions: ['eu-central-1', 'us-east-1'] }, deployment)).toEqual({
      ...lambda,
      target: { name: 'east', region: 'us-east-1' },
    });
  });

  it('moves a LOCAL decision to an allowed target when the local region is barred', () => {
    const moved = keepRegionRules(local, { region: 'us-west-2' }, deployment);
    expect(moved).toEqual(
      expect.objectContaining({
        placement: 'LAMBDA',
        target: { name: 'west', region: 'us-west-2' },
        fallbackToLocalOnThrottle: false,
      }),
    );
    expect(moved.reason).toContain('eu-central-1 is not allowed');
  });

  it('keeps a Lambda decision LOCAL when no target is allowed but the local region is', () => {
    const kept = keepRegionRules(lambda, { region: 'eu-central-1' }, deployment);
    expect(kept.placement).toBe('LOCAL');
    expect(kept.reason).toContain('no Lambda target is allowed');
  });
});
