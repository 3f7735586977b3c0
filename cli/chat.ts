// deno-lint-ignore-file no-console
/**
 * `copra chat`: a conversation with a checkpoint through the continuous loop (`Session` of `@copra/infer`) —
 * thoughts (their top-k decodings, dimmed), spoken tokens and tool calls stream as they happen; one turn per line
 * of input. When standard input is not a terminal it reads one turn per line and, with `--json`, writes every event
 * as a JSON line, so that it can be scripted and tested.
 *
 * @module
 */

import type { Command } from "commander";
import { type Method, METHOD_TRAITS, specialIds } from "@copra/curriculum";
import { calculator, Session, type SessionEvent, type Tool } from "@copra/infer";
import { type BackendName, defaultPackThreads, disposeParams } from "@copra/model";
import { inferenceOptions, int } from "./options.ts";
import { loadForInference, thoughtsMode } from "./inference.ts";
import { fixed } from "./render.ts";

/** The tools `--tools` may name. */
const TOOLS: Record<string, Tool> = { calc: calculator };

interface ChatCli {
  ckpt: string;
  method?: Method;
  thoughts?: number | "auto";
  maxThoughts?: number;
  maxNewTokens: number;
  backend: BackendName;
  tools?: string;
  showThoughts?: boolean;
  topK: number;
  json?: boolean;
  toolTimeout: number;
  threads?: number;
}

const encoder = new TextEncoder();
const write = (text: string) => Deno.stdout.writeSync(encoder.encode(text));
const dim = (text: string) => (Deno.noColor ? text : `\x1b[2m${text}\x1b[0m`);

/** Lines of standard input, as they arrive. */
async function* lines(): AsyncGenerator<string> {
  let buffer = "";
  for await (const chunk of Deno.stdin.readable.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    let newline: number;
    while ((newline = buffer.indexOf("\n")) >= 0) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer !== "") yield buffer;
}

/** How an event reads in the terminal. */
function render(event: SessionEvent, showThoughts: boolean): void {
  switch (event.type) {
    case "thought":
      if (showThoughts) {
        const top = event.top.map((t) => `${JSON.stringify(t.text)} ${fixed(t.probability, 2)}`).join("  ");
        const stop = event.stop === undefined ? "" : `  P(stop) ${fixed(event.stop, 2)}`;
        write(dim(`[thought ${event.index}: ${top}${stop}]`) + "\n");
      }
      break;
    case "token":
      write(event.text);
      break;
    case "tool_call":
      write(dim(` ⟨${event.name} ${event.input}⟩`));
      break;
    case "tool_result":
      write(dim(`⟨= ${event.output}⟩ `));
      break;
    case "error":
      write(`\ncopra: ${event.message}\n`);
      break;
    case "turn_end":
      write(dim(`\n(${event.thoughts} thoughts, ${event.reason})`) + "\n");
      break;
  }
}

async function chatCommand(cli: ChatCli): Promise<void> {
  const names = cli.tools ? cli.tools.split(",").map((s) => s.trim()).filter((s) => s !== "") : [];
  const unknown = names.filter((n) => !(n in TOOLS));
  if (unknown.length > 0) {
    throw new Error(`--tools ${unknown.join(",")}: unknown tool; known: ${Object.keys(TOOLS).join(", ")}`);
  }
  const { params, config, tokenizer, curriculum, path } = await loadForInference(cli.ckpt, cli.method, cli.backend);
  let session: Session;
  try {
    const mode = thoughtsMode(cli.thoughts, params, curriculum, path);
    const thinks = METHOD_TRAITS[curriculum.method].feedsHiddenStates;
    const fixedCount = thinks ? curriculum.maxLatentStage * curriculum.thoughtsPerStep : 0;
    session = new Session(params, config, {
      encode: (text) => tokenizer.encode(text),
      decode: (ids) => tokenizer.decode(ids), // special tokens by name: a thought may decode to <|endoftext|>
      ids: specialIds(tokenizer),
    }, {
      thoughts: mode === "auto" ? "auto" : mode ?? fixedCount,
      maxThoughts: cli.maxThoughts ?? fixedCount,
      maxNewTokens: cli.maxNewTokens,
      topK: cli.topK,
      tools: names.map((n) => TOOLS[n]),
      toolTimeoutMs: cli.toolTimeout,
      threads: cli.threads ?? defaultPackThreads(),
    });
  } catch (error) {
    disposeParams(params);
    throw error;
  }
  const interactive = Deno.stdin.isTerminal();
  if (interactive) write(dim(`copra chat: ${path} (${curriculum.method}); one turn per line, Ctrl-D ends\n`) + "> ");
  try {
    for await (const line of lines()) {
      if (line.trim() === "") {
        if (interactive) write("> ");
        continue;
      }
      for await (const event of session.turn(line)) {
        if (cli.json) console.log(JSON.stringify(event));
        else render(event, cli.showThoughts === true || interactive && cli.showThoughts !== false);
      }
      if (interactive) write("> ");
    }
  } finally {
    session.dispose();
    disposeParams(params);
  }
}

/** Adds `copra chat` to the program. */
export function addChatCommand(p: Command): void {
  const [method, thoughts, maxThoughts, maxNewTokens, backend] = inferenceOptions(
    'thoughts per turn (default: "auto" with a learned switch, else maxLatentStage·c)',
  );
  p.command("chat")
    .description("talk to a checkpoint: thoughts, tokens and tool calls stream as they happen; one turn per line")
    .requiredOption("--ckpt <dir>", "a run folder or a checkpoint folder")
    .option("--tools <names>", `tools the model may call, comma-separated (${Object.keys(TOOLS).join(", ")})`)
    .option("--show-thoughts", "print each thought's top-k tokens (dimmed)")
    .option("--top-k <n>", "tokens shown per thought", int("--top-k"), 3)
    .option("--json", "one JSON line per event (for scripts)")
    .option("--tool-timeout <ms>", "most milliseconds a tool call may take", int("--tool-timeout", 1), 5000)
    .addOption(method)
    .addOption(thoughts)
    .addOption(maxThoughts)
    .addOption(maxNewTokens)
    .addOption(backend)
    .option(
      "--threads <n>",
      "threads for the LM head's product while speaking, on copra's SIMD products (default: every core, at most 4; " +
        "with OpenBLAS the head stays on one thread). The tokens are the same for any count",
      int("--threads", 1, 256),
    )
    .action((o) => chatCommand(o as ChatCli));
}
