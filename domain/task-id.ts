// What a task id may be: a Temporal workflow id that is safe in a URL path, a Redis key and a log line. The API
// refuses any other with SPILLWAY_INVALID_TASK_ID; pipelines build their task ids to match it.
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}$/;
