// The baseline's one activity: returns its argument, nothing else.
export async function noop(id: string): Promise<string> {
  return id;
}
