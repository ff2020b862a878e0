import { resolveSchemathesis } from './schemathesisInstall';

/**
 * `npm run fuzz:provision`: make sure the pinned schemathesis is installed in its venv under
 * ~/.cache/switchboard (installing it from PyPI on first use) and print where it is. The fuzz test
 * would do the same lazily; CI runs this first so the install's progress is not hidden in jest.
 */
resolveSchemathesis((line) => process.stderr.write(line + '\n'))
  .then((st) => {
    process.stdout.write(`schemathesis ${st.version} (${st.source}): ${st.python} -m schemathesis.cli\n`);
  })
  .catch((err: unknown) => {
    process.stderr.write(`provisioning schemathesis failed: ${(err as Error).message}\n`);
    process.exit(1);
  });
