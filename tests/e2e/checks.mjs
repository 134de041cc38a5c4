// The pass/fail bookkeeping the e2e scripts share. `check` prints one line per assertion and
// returns `ok`; `fail` records a failure found outside a check; `finish(main)` runs the script,
// counts a thrown error as a failure, prints the summary and sets the exit code.
export function checks(label) {
  const started = Date.now();
  let passed = 0;
  const failures = [];
  const check = (name, ok, detail = "") => {
    if (ok) passed++;
    else failures.push(`${name}${detail ? `: ${detail}` : ""}`);
    console.log(`  ${ok ? "ok  " : "FAIL"}  ${name}${detail ? ` (${detail})` : ""}`);
    return ok;
  };
  const fail = (message) => failures.push(message);
  async function finish(main) {
    try {
      await main();
    } catch (e) {
      failures.push(e.message);
      console.log(`  FAIL  ${e.stack ?? e.message}`);
    }
    console.log(`\n${label} (${((Date.now() - started) / 1000).toFixed(1)} s): ${passed} passed, ${failures.length} failed`);
    for (const f of failures) console.log(`  - ${f}`);
    if (failures.length) process.exitCode = 1;
  }
  return { check, fail, finish, started };
}
