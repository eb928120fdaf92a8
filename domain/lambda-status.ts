// GET /_spillway/status of the local Lambda service (a Spillway extension, not part of the Lambda API): declared once,
// as schemas. lambda/status-report.ts builds it; placement (live/lambda-signals.ts), the benchmarks and the fault
// suite read it with the types derived here.
import { Type, type Static, type TProperties } from '@sinclair/typebox';

/** The service answers with exactly these fields: a field added on one side and not the other is a test failure. */
const Exact = <T extends TProperties>(properties: T) => Type.Object(properties, { additionalProperties: false });

const Count = Type.Integer({ minimum: 0 });

export const EnvironmentCountsSchema = Exact({ total: Count, idle: Count, busy: Count });
export type EnvironmentCounts = Static<typeof EnvironmentCountsSchema>;

/** An event the service gave up on, and why. */
export const DroppedEventSchema = Exact({
  requestId: Type.String(),
  reason: Type.Union([Type.Literal('MaximumEventAgeExceeded'), Type.Literal('RetriesExhausted')]),
  at: Type.String(),
});
export type DroppedEvent = Static<typeof DroppedEventSchema>;

/** An invocation record that could not be sent to its destination, and why. */
export const UndeliverableRecordSchema = Exact({
  requestId: Type.String(),
  condition: Type.Union([Type.Literal('Success'), Type.Literal('RetriesExhausted'), Type.Literal('EventAgeExceeded')]),
  destination: Type.String(),
  reason: Type.String(),
  at: Type.String(),
});
export type UndeliverableRecord = Static<typeof UndeliverableRecordSchema>;

export const VersionStatusSchema = Exact({ version: Type.String(), environments: EnvironmentCountsSchema });
export type VersionStatus = Static<typeof VersionStatusSchema>;

export const FunctionStatusSchema = Exact({
  name: Type.String(),
  environments: EnvironmentCountsSchema,
  /** Versions with live environments ($LATEST, 1, 2...). */
  versions: Type.Array(VersionStatusSchema),
  state: Type.String(),
  lastUpdateStatus: Type.Union([Type.String(), Type.Null()]),
  codeSha256: Type.String(),
  reservedConcurrency: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
  inFlight: Count,
  queuedEvents: Count,
  throttles: Exact({ count: Count, lastAt: Type.Union([Type.String(), Type.Null()]) }),
  coldStarts: Count,
  warmStarts: Count,
  invocations: Count,
  droppedEvents: Type.Array(DroppedEventSchema),
  /** Invocation records sent to OnSuccess / OnFailure destinations, and the last ones that could not be sent. */
  destinations: Exact({ delivered: Count, undeliverable: Type.Array(UndeliverableRecordSchema) }),
});
export type FunctionStatus = Static<typeof FunctionStatusSchema>;

export const ServiceStatusSchema = Exact({
  accountConcurrencyLimit: Count,
  unreservedConcurrency: Count,
  /** The floor reservations cannot push unreserved concurrency below. */
  unreservedConcurrencyMinimum: Count,
  totals: Exact({
    environments: Count,
    inFlight: Count,
    queuedEvents: Count,
    throttles: Count,
    invocations: Count,
    droppedEvents: Count,
    undeliverableRecords: Count,
  }),
  functions: Type.Array(FunctionStatusSchema),
});
export type ServiceStatus = Static<typeof ServiceStatusSchema>;
