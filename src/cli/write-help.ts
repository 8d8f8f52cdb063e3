// Build step (`postbuild`): renders `nemo --help` from the real commander program into dist/help.txt, so
// bin/nemo.js can answer a lone `--help` without loading commander and registering every command (~25 ms),
// and the manual page dist/nemo.1 (package.json `man`) from the same program.
import { renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../base/version.js';
import { HELP_FILE, renderHelp } from './help-text.js';
import { manPage } from './man-page.js';
import { buildProgram } from './program.js';

function writeWhole(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

writeWhole(fileURLToPath(HELP_FILE), renderHelp(buildProgram()));
writeWhole(
  fileURLToPath(new URL('../../dist/nemo.1', import.meta.url)),
  manPage(buildProgram(), packageVersion()),
);
