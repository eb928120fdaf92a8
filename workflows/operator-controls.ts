// operatorControls: the one long-lived workflow (id `spillway-controls`) that holds the operator controls and their
// audit. Temporal keeps the record, so a pause or a drain survives every restart and a Redis flush; changes arrive
// as updates (validated, answered with the new state), readers use the query.
import { condition, continueAsNew, defineQuery, defineUpdate, setHandler, workflowInfo } from '@temporalio/workflow';
import { AUDIT_UPDATE, CONTROLS_QUERY, SET_PAUSE_UPDATE, SET_PLACEMENT_OVERRIDE_UPDATE } from '../domain/constants';
import {
  applyControl,
  EMPTY_CONTROLS,
  type AuditEntry,
  type ControlsState,
  type PauseScope,
  type PlacementOverrideMode,
} from '../domain/operator-controls';

export interface PauseChange {
  scope: PauseScope;
  paused: boolean;
  by: string;
  reason: string;
}

export interface PlacementOverrideChange {
  mode: PlacementOverrideMode | 'none';
  by: string;
  reason: string;
}

export const controlsQuery = defineQuery<ControlsState>(CONTROLS_QUERY);
export const setPauseUpdate = defineUpdate<ControlsState, [PauseChange]>(SET_PAUSE_UPDATE);
export const setPlacementOverrideUpdate = defineUpdate<ControlsState, [PlacementOverrideChange]>(
  SET_PLACEMENT_OVERRIDE_UPDATE,
);
export const auditUpdate = defineUpdate<ControlsState, [Omit<AuditEntry, 'at'>]>(AUDIT_UPDATE);

/** A fresh run carries the state over before the history grows large. */
const HISTORY_LIMIT = 5_000;

export async function operatorControls(carried: ControlsState = EMPTY_CONTROLS): Promise<void> {
  let state = carried;
  const now = () => new Date().toISOString();
  const required = (value: string, what: string) => {
    if (!value || value.length > 500) throw new Error(`${what} must be 1 to 500 characters`);
  };
  setHandler(controlsQuery, () => state);
  setHandler(
    setPauseUpdate,
    (change) => {
      state = applyControl(state, { kind: 'pause', ...change, at: now() });
      return state;
    },
    {
      validator: (change) => {
        if (!/^(type|tenant):[A-Za-z0-9][A-Za-z0-9_.:@/-]{0,127}$/.test(change.scope)) {
          throw new Error('scope must be type:<task type> or tenant:<tenant>');
        }
        required(change.by, 'by');
        required(change.reason, 'reason');
      },
    },
  );
  setHandler(
    setPlacementOverrideUpdate,
    (change) => {
      state = applyControl(state, { kind: 'placement', ...change, at: now() });
      return state;
    },
    {
      validator: (change) => {
        if (!['drain-lambda', 'force-lambda', 'none'].includes(change.mode)) {
          throw new Error('mode must be drain-lambda, force-lambda or none');
        }
        required(change.by, 'by');
        required(change.reason, 'reason');
      },
    },
  );
  setHandler(auditUpdate, (entry) => {
    state = applyControl(state, { kind: 'audit', entry: { ...entry, at: now() } });
    return state;
  });
  await condition(() => workflowInfo().historyLength > HISTORY_LIMIT);
  await continueAsNew<typeof operatorControls>(state);
}
