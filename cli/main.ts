// deno-lint-ignore-file no-console
/**
 * The `copra` command: `train`, `eval`, `generate`, `chat`, `data generate|stats|convert`, `export` and `import`,
 * each with `--help`.
 *
 *   deno task train                               # the default small ProsQA-style Coconut run
 *   deno task copra train --method cot --data train.json --eval-data valid.json
 *   deno task eval --ckpt runs/<name> --data ../shared/data/prosqa_test.json
 *   deno task copra generate --ckpt runs/<name> --question "…" --top-k 5
 *   deno task copra chat --ckpt runs/<name> --show-thoughts --tools calc
 *   deno task copra data generate prosqa --n 1000 --seed 1 --out train.json
 *   deno task copra data stats ../shared/data/prosqa_valid.json
 *   deno task copra export --ckpt runs/<name> --to coconut --out runs/<name>-official --gpus 4
 *   deno task copra import --from coconut <dir>/checkpoint_50 --args <dir>/args.yaml --out runs/<name>-back
 *
 * @module
 */

import { Command } from "commander";
import { addChatCommand } from "./chat.ts";
import { addDataCommand } from "./data.ts";
import { addEvalCommand } from "./eval.ts";
import { addExportCommand } from "./export.ts";
import { addImportCommand } from "./import.ts";
import { addGenerateCommand } from "./generate.ts";
import { addTrainCommand } from "./train.ts";

export { DEFAULT_TASK } from "./options.ts";

/** Builds the program (exported for tests). */
export function program(): Command {
  const p = new Command("copra").description("Coconut: continuous-thought language models in Deno")
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, "copra: ")) })
    .showHelpAfterError("(copra <command> --help lists the options)");
  addTrainCommand(p);
  addEvalCommand(p);
  addGenerateCommand(p);
  addChatCommand(p);
  addDataCommand(p);
  addExportCommand(p);
  addImportCommand(p);
  return p;
}

if (import.meta.main) {
  try {
    await program().parseAsync(Deno.args, { from: "user" });
  } catch (error) {
    console.error(`copra: ${error instanceof Error ? error.message : String(error)}`);
    Deno.exit(1);
  }
}
