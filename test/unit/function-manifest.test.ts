import {
  manifestTags,
  ManifestError,
  parseFunctionRef,
  parseManifest,
  spillwayFacts,
  TAG_KEYS,
} from '../../domain/function-manifest';

describe('parseManifest', () => {
  test('accepts a full manifest', () => {
    const manifest = {
      name: 'greeter',
      taskTypes: ['greeting', 'hello'],
      event: 'task',
      payloadSchema: { type: 'object' },
      expectedDurationMs: 20,
      warmPoolSize: 2,
      lambda: { handler: 'src/app.handler', runtime: 'nodejs22.x', memoryMB: 256, timeoutSeconds: 30 },
      build: { external: ['canvas'], include: ['templates/'] },
    };
    expect(parseManifest(JSON.stringify(manifest))).toEqual(manifest);
  });

  test.each([
    ['not JSON', '{"taskTypes":', /is not valid JSON/],
    ['an unknown field', '{"tasktypes":["x"]}', /is not a valid manifest: .*tasktypes/],
    ['a bad task type', '{"taskTypes":["has space"]}', /taskTypes\/0/],
    ['a bad event format', '{"event":"callback"}', /event/],
    ['memory below Lambda minimum', '{"lambda":{"memoryMB":64}}', /memoryMB/],
    ['a bad function name', '{"name":"a/b"}', /name/],
  ])('refuses %s with a ManifestError naming the problem', (_label, text, message) => {
    expect(() => parseManifest(text)).toThrow(ManifestError);
    expect(() => parseManifest(text)).toThrow(message);
  });
});

describe('facts from tags and manifest', () => {
  test('a function without tags or manifest serves one type named after it, with any payload', () => {
    expect(spillwayFacts('my-fn', {})).toEqual({
      taskTypes: ['my-fn'],
      event: 'payload',
      expectedDurationMs: 1000,
      warmPoolSize: 0,
      source: 'none',
    });
  });

  test('tags round-trip the small facts, and the manifest adds the schema', () => {
    const manifest = {
      taskTypes: ['a', 'b'],
      event: 'task' as const,
      expectedDurationMs: 40,
      warmPoolSize: 3,
      payloadSchema: { type: 'object' },
    };
    const tags = manifestTags(manifest);
    expect(tags).toEqual({
      [TAG_KEYS.event]: 'task',
      [TAG_KEYS.taskTypes]: 'a,b',
      [TAG_KEYS.expectedDurationMs]: '40',
      [TAG_KEYS.warmPoolSize]: '3',
      [TAG_KEYS.manifest]: 'spillway.json',
    });
    expect(spillwayFacts('fn', tags)).toEqual({
      taskTypes: ['a', 'b'],
      event: 'task',
      expectedDurationMs: 40,
      warmPoolSize: 3,
      source: 'tags',
    });
    expect(spillwayFacts('fn', tags, manifest)).toEqual({
      taskTypes: ['a', 'b'],
      event: 'task',
      expectedDurationMs: 40,
      warmPoolSize: 3,
      payloadSchema: { type: 'object' },
      source: 'manifest',
    });
  });

  test('tags with bad values fall back to the defaults', () => {
    expect(spillwayFacts('fn', { [TAG_KEYS.taskTypes]: ' ,bad type', [TAG_KEYS.expectedDurationMs]: 'soon' })).toEqual(
      expect.objectContaining({ taskTypes: ['fn'], expectedDurationMs: 1000 }),
    );
  });
});

test.each([
  ['fn', { name: 'fn' }],
  ['fn:3', { name: 'fn', qualifier: '3' }],
  ['fn:prod', { name: 'fn', qualifier: 'prod' }],
  ['fn:$LATEST', { name: 'fn', qualifier: '$LATEST' }],
])('parseFunctionRef(%s)', (ref, parts) => {
  expect(parseFunctionRef(ref)).toEqual(parts);
});
