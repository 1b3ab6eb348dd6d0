/**
 * Runs a command-line tool's main: exits with the code it returns, or prints the error's message (no
 * stack: these are operators' tools) and exits with `failureCode`.
 */
export function runCli(main: () => Promise<number>, failureCode = 1): void {
  main().then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(failureCode);
    },
  );
}
