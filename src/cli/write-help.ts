// Build step (`postbuild`): renders `nemo --help` from the real commander program into dist/cli/help.txt, so
// bin/nemo.js can answer a lone `--help` without loading commander and registering every command (~25 ms).
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { HELP_FILE, renderHelp } from './help-text.js';
import { buildProgram } from './program.js';

const path = fileURLToPath(HELP_FILE);
writeFileSync(`${path}.tmp`, renderHelp(buildProgram()));
renameSync(`${path}.tmp`, path);
