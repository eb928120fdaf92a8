// Writes corpus.json: malformed and hostile requests across every route, each with the 4xx status and stable
// error code it must get. The corpus is data; this script only saves typing when cases are added.
import { writeFileSync } from 'node:fs';

const V = 'SPILLWAY_VALIDATION_FAILED';
const cases = [];
const add = (name, method, url, body, status, code, extra = {}) =>
  cases.push({ name, method, url, body, status, code, ...extra });
const good = {
  name: 'Process Image',
  type: 'image-processing',
  executionMode: 'LOCAL',
  functionName: 'image-processor',
  payload: { imageUrl: 'data:,x' },
};
const task = (change) => ({ ...good, ...change });
const without = (key) => Object.fromEntries(Object.entries(good).filter(([k]) => k !== key));

// POST /api/tasks: wrong types
for (const [field, value] of [
  ['name', 42],
  ['name', null],
  ['name', true],
  ['name', ['a']],
  ['name', { a: 1 }],
  ['type', 7],
  ['type', null],
  ['type', ['noop']],
  ['executionMode', 1],
  ['executionMode', null],
  ['executionMode', ['LOCAL']],
  ['functionName', 5],
  ['functionName', null],
  ['payload', 'text'],
  ['payload', 12],
  ['payload', [1, 2]],
  ['payload', null],
  ['retry', 'fast'],
  ['retry', 3],
  ['retry', []],
  ['timeoutSeconds', '30'],
  ['timeoutSeconds', null],
  ['timeoutSeconds', 1.5],
  ['idempotencyKey', 99],
  ['idempotencyKey', null],
  ['invocation', true],
])
  add(`wrong type ${field}=${JSON.stringify(value)}`, 'POST', '/api/tasks', task({ [field]: value }), 400, V);
// missing fields
for (const key of ['name', 'type', 'executionMode']) add(`missing ${key}`, 'POST', '/api/tasks', without(key), 400, V);
add('empty object', 'POST', '/api/tasks', {}, 400, V);
// extra fields
for (const extra of ['priority', '__proto__x', 'constructor', 'id', 'status', 'createdAt']) {
  add(`extra field ${extra}`, 'POST', '/api/tasks', task({ [extra]: 'x' }), 400, V);
}
add('extra field in retry', 'POST', '/api/tasks', task({ retry: { maximumAttempts: 2, jitter: 0.1 } }), 400, V);
// unknown modes, types and functions
for (const mode of ['GPU', 'local', 'Lambda', '', 'AUTO ', 'LOCAL;DROP', 'ＬＯＣＡＬ'])
  add(`unknown mode ${JSON.stringify(mode)}`, 'POST', '/api/tasks', task({ executionMode: mode }), 400, V);
for (const type of ['mining', 'video-transcode', 'noop2', 'image-processing-v2'])
  add(
    `unknown type ${type}`,
    'POST',
    '/api/tasks',
    task({ type, functionName: undefined }),
    400,
    'SPILLWAY_UNKNOWN_TASK_TYPE',
  );
// Task types and function names follow Lambda's naming (letters, digits, - and _), so an uppercase one is only unknown.
add(
  'type "Image-Processing" that image-processor does not serve',
  'POST',
  '/api/tasks',
  task({ type: 'Image-Processing' }),
  400,
  'SPILLWAY_FUNCTION_TYPE_MISMATCH',
);
add(
  'unknown task type "Image-Processing"',
  'POST',
  '/api/tasks',
  { ...without('functionName'), type: 'Image-Processing' },
  400,
  'SPILLWAY_UNKNOWN_TASK_TYPE',
);
for (const type of ['image processing', '../etc/passwd', 'a'.repeat(65), '', 'noop\u0000', 'ñoop'])
  add(`malformed type ${JSON.stringify(type).slice(0, 30)}`, 'POST', '/api/tasks', task({ type }), 400, V);
for (const fn of ['ghost', 'image-processor-v9', 'x', 'Image-Processor', 'image-processor:prod'])
  add(`unknown function ${fn}`, 'POST', '/api/tasks', task({ functionName: fn }), 400, 'SPILLWAY_UNKNOWN_FUNCTION');
for (const fn of ['../../lambda', 'fn name', '', 'noop:', 'noop:a:b', 'x'.repeat(65)])
  add(`malformed function ${JSON.stringify(fn)}`, 'POST', '/api/tasks', task({ functionName: fn }), 400, V);
for (const fn of ['noop', 'report-generator', 'flaky'])
  add(
    `function of another type ${fn}`,
    'POST',
    '/api/tasks',
    task({ functionName: fn }),
    400,
    'SPILLWAY_FUNCTION_TYPE_MISMATCH',
  );
// negative or absurd retry values
for (const [k, v] of [
  ['maximumAttempts', 0],
  ['maximumAttempts', -1],
  ['maximumAttempts', 101],
  ['maximumAttempts', 1e12],
  ['maximumAttempts', 2.5],
  ['initialIntervalMs', 0],
  ['initialIntervalMs', -1000],
  ['initialIntervalMs', 1e15],
  ['backoffCoefficient', 0],
  ['backoffCoefficient', 0.99],
  ['backoffCoefficient', 11],
  ['backoffCoefficient', -2],
  ['maximumIntervalMs', 0],
  ['maximumIntervalMs', 1e15],
])
  add(`retry ${k}=${v}`, 'POST', '/api/tasks', task({ retry: { [k]: v } }), 400, V);
add(
  'retry maximum below initial',
  'POST',
  '/api/tasks',
  task({ retry: { initialIntervalMs: 10000, maximumIntervalMs: 10 } }),
  400,
  'SPILLWAY_INVALID_RETRY',
);
for (const t of [0, -5, 86401, 1e9])
  add(`timeoutSeconds ${t}`, 'POST', '/api/tasks', task({ timeoutSeconds: t }), 400, V);
add(
  'LAMBDA timeout over 15 minutes',
  'POST',
  '/api/tasks',
  task({ executionMode: 'LAMBDA', timeoutSeconds: 901 }),
  400,
  'SPILLWAY_INVALID_TIMEOUT',
);
// names: unicode edge cases and lengths
add('name too long', 'POST', '/api/tasks', task({ name: 'x'.repeat(201) }), 400, V);
add('name of 201 emoji', 'POST', '/api/tasks', task({ name: '🦄'.repeat(201) }), 400, V);
add('empty name', 'POST', '/api/tasks', task({ name: '' }), 400, V);
// idempotency keys
for (const key of ['', 'has space', 'tab\tkey', 'new\nline', 'ключ', 'k'.repeat(201), 'emoji🔑'])
  add(
    `bad idempotencyKey ${JSON.stringify(key).slice(0, 20)}`,
    'POST',
    '/api/tasks',
    task({ idempotencyKey: key }),
    400,
    V,
  );
// huge and deeply nested payloads
add(
  'payload nested 33 deep',
  'POST',
  '/api/tasks',
  task({ payload: JSON.parse('{"a":'.repeat(33) + '1' + '}'.repeat(33)) }),
  400,
  'SPILLWAY_PAYLOAD_TOO_DEEP',
);
add(
  'payload nested 200 deep in arrays',
  'POST',
  '/api/tasks',
  task({ payload: { a: JSON.parse('['.repeat(200) + ']'.repeat(200)) } }),
  400,
  'SPILLWAY_PAYLOAD_TOO_DEEP',
);
// Large values are kept as templates ($REPEAT:<char>:<count>, $RANGE:<n>, $COPIES:<n>:<json>) that the test expands.
add(
  'payload over 1 MB',
  'POST',
  '/api/tasks',
  task({ payload: { blob: '$REPEAT:x:1100000' } }),
  413,
  'SPILLWAY_BODY_TOO_LARGE',
);
add(
  'payload of 2 MB of numbers',
  'POST',
  '/api/tasks',
  task({ payload: { n: '$RANGE:400000' } }),
  413,
  'SPILLWAY_BODY_TOO_LARGE',
);
// bodies that are not JSON objects, or not JSON at all
for (const [name, raw] of [
  ['truncated JSON', '{"name": "x", "type": '],
  ['trailing garbage', '{"name":"x"} xyz'],
  ['single quotes', "{'name':'x'}"],
  ['bare string', '"hello"'],
  ['bare number', '42'],
  ['JSON null', 'null'],
  ['JSON array', '[]'],
  ['NaN literal', '{"name": NaN}'],
  ['comment', '{"name": "x" /* c */}'],
  ['BOM then JSON', '\uFEFF{"name":"x"}'],
])
  add(
    name,
    'POST',
    '/api/tasks',
    undefined,
    400,
    name === 'truncated JSON' ||
      name === 'trailing garbage' ||
      name === 'single quotes' ||
      name === 'NaN literal' ||
      name === 'comment'
      ? 'SPILLWAY_INVALID_JSON'
      : V,
    { raw, contentType: 'application/json' },
  );
add('empty body with JSON content type', 'POST', '/api/tasks', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '',
  contentType: 'application/json',
});
for (const ct of [
  'text/plain',
  'application/xml',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/javascript',
  'image/png',
]) {
  add(`wrong content type ${ct}`, 'POST', '/api/tasks', undefined, 415, 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE', {
    raw: 'name=x',
    contentType: ct,
  });
}
// injection strings in places they could reach a query
for (const inj of [
  "x' OR '1'='1",
  'x"; DROP TABLE tasks; --',
  '${jndi:ldap://x}',
  '<script>alert(1)</script>',
  "TaskStatus='COMPLETED' OR 1=1",
]) {
  add(`injection in type ${inj.slice(0, 16)}`, 'POST', '/api/tasks', task({ type: inj }), 400, V);
  add(
    `injection in list type filter ${inj.slice(0, 16)}`,
    'GET',
    `/api/tasks?type=${encodeURIComponent(inj)}`,
    undefined,
    400,
    V,
  );
}
// POST /api/tasks/bulk
add('bulk without tasks', 'POST', '/api/tasks/bulk', {}, 400, V);
add('bulk tasks not an array', 'POST', '/api/tasks/bulk', { tasks: { a: 1 } }, 400, V);
add('bulk empty array', 'POST', '/api/tasks/bulk', { tasks: [] }, 400, V);
add(
  'bulk over 1000',
  'POST',
  '/api/tasks/bulk',
  { tasks: '$COPIES:1001:{"name":"n","type":"noop","executionMode":"LOCAL"}' },
  400,
  V,
);
add('bulk extra field', 'POST', '/api/tasks/bulk', { tasks: [good], dryRun: true }, 400, V);
add('bulk is an array', 'POST', '/api/tasks/bulk', [good], 400, V);
add('bulk wrong content type', 'POST', '/api/tasks/bulk', undefined, 415, 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE', {
  raw: 'tasks',
  contentType: 'text/plain',
});
add('bulk malformed JSON', 'POST', '/api/tasks/bulk', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '{"tasks": [',
  contentType: 'application/json',
});
// GET /api/tasks
for (const q of [
  'status=DONE',
  'status=completed',
  'mode=GPU',
  'limit=0',
  'limit=501',
  'limit=-1',
  'limit=abc',
  'limit=1e2',
  'limit=10&limit=20',
  'cursor=%24%24%24',
  'cursor=' + 'A'.repeat(4097),
  'unknown=1',
  'status[]=QUEUED',
  'type=' + 'a'.repeat(65),
]) {
  add(`list ${q.slice(0, 30)}`, 'GET', `/api/tasks?${q}`, undefined, 400, V);
}
add('list undecodable cursor', 'GET', '/api/tasks?cursor=bm90LWEtdG9rZW4', undefined, 400, 'SPILLWAY_INVALID_CURSOR');
// GET /api/tasks/:id and cancel: bad ids in paths
for (const id of [
  "x' OR 1=1",
  '%00',
  '..%2F..%2Fetc%2Fpasswd',
  '-starts-with-dash',
  '%F0%9F%A6%84',
  'a%20b',
  '<script>',
]) {
  add(`get bad id ${id}`, 'GET', `/api/tasks/${id}`, undefined, 400, 'SPILLWAY_INVALID_TASK_ID');
  add(`cancel bad id ${id}`, 'POST', `/api/tasks/${id}/cancel`, undefined, 400, 'SPILLWAY_INVALID_TASK_ID');
}
add('get id too long', 'GET', `/api/tasks/${'a'.repeat(300)}`, undefined, 404, 'SPILLWAY_ROUTE_NOT_FOUND');
for (const id of ['task-00000000-0000-0000-0000-000000000000', 'nope', 'task-idem-abc']) {
  add(`get unknown id ${id}`, 'GET', `/api/tasks/${id}`, undefined, 404, 'SPILLWAY_TASK_NOT_FOUND');
  add(`cancel unknown id ${id}`, 'POST', `/api/tasks/${id}/cancel`, undefined, 404, 'SPILLWAY_TASK_NOT_FOUND');
}
add('cancel with malformed JSON body', 'POST', '/api/tasks/nope/cancel', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '{',
  contentType: 'application/json',
});
// POST /api/callbacks/lambda
add(
  'callback unsigned',
  'POST',
  '/api/callbacks/lambda',
  { token: 'a.b', outcome: 'succeeded', report: {} },
  401,
  'SPILLWAY_CALLBACK_UNAUTHORIZED',
);
add(
  'callback bad signature header',
  'POST',
  '/api/callbacks/lambda',
  { token: 'a.b' },
  401,
  'SPILLWAY_CALLBACK_UNAUTHORIZED',
  { headers: { 'x-spillway-signature': 't=1,v1=00' } },
);
add(
  'callback signature of another body',
  'POST',
  '/api/callbacks/lambda',
  { token: 'a.b' },
  401,
  'SPILLWAY_CALLBACK_UNAUTHORIZED',
  { headers: { 'x-spillway-signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}` } },
);
add('callback malformed JSON', 'POST', '/api/callbacks/lambda', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '{"token":',
  contentType: 'application/json',
});
add('callback wrong content type', 'POST', '/api/callbacks/lambda', undefined, 415, 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE', {
  raw: 'x',
  contentType: 'text/plain',
});
// GET /api/events
for (const q of ['lastEventId=abc', 'lastEventId=1-2-3', 'unknown=1'])
  add(`events ${q}`, 'GET', `/api/events?${q}`, undefined, 400, V);
// admin and warm pool with hostile bodies
add('reconcile malformed JSON', 'POST', '/api/admin/reconcile', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '{{',
  contentType: 'application/json',
});
add('warm pool malformed JSON', 'POST', '/api/tasks/warm-pool', undefined, 400, 'SPILLWAY_INVALID_JSON', {
  raw: '[',
  contentType: 'application/json',
});
add('warm pool wrong content type', 'POST', '/api/tasks/warm-pool', undefined, 415, 'SPILLWAY_UNSUPPORTED_MEDIA_TYPE', {
  raw: 'x',
  contentType: 'application/xml',
});
// routes and methods that do not exist
for (const [method, url] of [
  ['DELETE', '/api/tasks'],
  ['PUT', '/api/tasks/x'],
  ['PATCH', '/api/tasks'],
  ['GET', '/api/task'],
  ['GET', '/api/tasks/x/y/z'],
  ['POST', '/api/tasks/stats'],
  ['GET', '/api/admin/reconcile'],
  ['GET', '/.env'],
  ['GET', '/api/../../etc/passwd'],
]) {
  add(`no route ${method} ${url}`, method, url, undefined, 404, 'SPILLWAY_ROUTE_NOT_FOUND');
}

writeFileSync(new URL('./corpus.json', import.meta.url), JSON.stringify(cases, null, 1) + '\n');
console.log(`${cases.length} cases written`);
