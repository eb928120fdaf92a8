// The Lua scripts of the live state (the projection, budget spend, placement statistics, local slots), each in its
// own file under live/lua/, registered with ioredis' defineCommand: Redis runs them by their SHA1 (EVALSHA), and
// ioredis sends a script's source only when Redis does not know it yet.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';

/** Compiled code looks next to itself (dist/live/lua, copied by the build), then in the sources. */
const LUA_DIRS = [path.join(__dirname, 'lua'), path.resolve(__dirname, '..', '..', 'live', 'lua')];

const sources = new Map<string, string>();

/** The text of live/lua/<name>.lua. */
export function luaSource(name: string): string {
  let text = sources.get(name);
  if (text === undefined) {
    const file = LUA_DIRS.map((dir) => path.join(dir, `${name}.lua`)).find((f) => existsSync(f));
    if (!file) throw new Error(`the Redis script ${name}.lua is missing (looked in ${LUA_DIRS.join(', ')})`);
    text = readFileSync(file, 'utf8');
    sources.set(name, text);
  }
  return text;
}

export type ScriptArg = string | number;
export type ScriptCommand = (...keysThenArgs: ScriptArg[]) => Promise<unknown>;

/**
 * The script live/lua/<name>.lua as a command of this connection, defined once per connection. Call it with its
 * keys first, then its arguments; a script whose number of keys varies is given none here and called with that
 * number first.
 */
export function scriptCommand(redis: Redis, name: string, numberOfKeys?: number): ScriptCommand {
  const command = `spillway_${name.replace(/-/g, '_')}`;
  const commands = redis as unknown as Record<string, ScriptCommand | undefined>;
  if (typeof commands[command] !== 'function') redis.defineCommand(command, { numberOfKeys, lua: luaSource(name) });
  const run = commands[command] as ScriptCommand;
  return (...args) => run.apply(redis, args);
}
