/**
 * A fake of a class whose every method is a jest.fn() returning undefined, for unit specs of the
 * services that use it: the spec sets what each call answers and checks what was asked.
 */
export function automock<T extends object>(cls: abstract new (...args: never[]) => T): jest.Mocked<T> {
  const fake: Record<string, jest.Mock> = {};
  for (const name of Object.getOwnPropertyNames(cls.prototype))
    if (name !== 'constructor') fake[name] = jest.fn();
  return fake as unknown as jest.Mocked<T>;
}
