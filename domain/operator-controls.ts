// Operator controls: pauses of every task of a type or tenant, a placement override (drain Lambda, force Lambda),
// and the audit of who did what, when and why. The record is the `spillway-controls` workflow; this is its pure
// state and the reducer that applies one change, so the workflow only feeds it changes.
import type { Placement } from './task-model';

export type PauseScope = `type:${string}` | `tenant:${string}`;
export type PlacementOverrideMode = 'drain-lambda' | 'force-lambda';

export interface ControlRecord {
  by: string;
  at: string;
  reason: string;
}

export interface AuditEntry extends ControlRecord {
  action: string;
  target: string;
}

export interface ControlsState {
  pauses: Record<string, ControlRecord>;
  placementOverride?: ControlRecord & { mode: PlacementOverrideMode };
  audit: AuditEntry[];
}

export type ControlChange =
  | { kind: 'pause'; scope: PauseScope; paused: boolean; by: string; reason: string; at: string }
  | { kind: 'placement'; mode: PlacementOverrideMode | 'none'; by: string; reason: string; at: string }
  | { kind: 'audit'; entry: AuditEntry };

/** The audit keeps this many entries; older ones are in the workflow's history. */
export const AUDIT_LIMIT = 500;

export const EMPTY_CONTROLS: ControlsState = { pauses: {}, audit: [] };

export function applyControl(state: ControlsState, change: ControlChange): ControlsState {
  const audit = (entry: AuditEntry) => [...state.audit, entry].slice(-AUDIT_LIMIT);
  switch (change.kind) {
    case 'pause': {
      const pauses = { ...state.pauses };
      if (change.paused) pauses[change.scope] = { by: change.by, at: change.at, reason: change.reason };
      else delete pauses[change.scope];
      return {
        ...state,
        pauses,
        audit: audit({
          action: change.paused ? 'pause' : 'resume',
          target: change.scope,
          by: change.by,
          at: change.at,
          reason: change.reason,
        }),
      };
    }
    case 'placement': {
      const record = { by: change.by, at: change.at, reason: change.reason };
      return {
        ...state,
        placementOverride: change.mode === 'none' ? undefined : { ...record, mode: change.mode },
        audit: audit({ action: `placement:${change.mode}`, target: 'all tasks', ...record }),
      };
    }
    case 'audit':
      return { ...state, audit: audit(change.entry) };
  }
}

/** The pause that applies to a task of this type and tenant, if any. */
export function pauseFor(
  state: ControlsState,
  type: string,
  tenant?: string,
): (ControlRecord & { scope: string }) | undefined {
  for (const scope of [`type:${type}`, ...(tenant ? [`tenant:${tenant}`] : [])]) {
    const record = state.pauses[scope];
    if (record) return { ...record, scope };
  }
  return undefined;
}

/**
 * Where the override sends a task: drain-lambda sends AUTO and LAMBDA tasks LOCAL, force-lambda sends AUTO tasks to
 * Lambda (Lambda's hard limits still apply). Undefined when the override does not apply.
 */
export function overridePlacement(
  state: Pick<ControlsState, 'placementOverride'>,
  requested: 'LOCAL' | 'LAMBDA' | 'AUTO',
): { placement: Placement; reason: string } | undefined {
  const o = state.placementOverride;
  if (!o) return undefined;
  const why = `operator override ${o.mode} by ${o.by} at ${o.at}: ${o.reason}`;
  if (o.mode === 'drain-lambda' && requested !== 'LOCAL') return { placement: 'LOCAL', reason: why };
  if (o.mode === 'force-lambda' && requested === 'AUTO') return { placement: 'LAMBDA', reason: why };
  return undefined;
}
