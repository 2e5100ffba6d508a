import { assert, assertEquals } from "./helpers/assert.ts";
import {
  isSecretName,
  PROVIDER_KEY_ENV,
  redact,
  SECRET_ENV_PATTERNS,
} from "../lib/wire/secrets.ts";

Deno.test("one secret-name rule: the union of what computer, sandbox and storage counted", () => {
  const secret = [
    // computer's old patterns
    "OPENAI_API_KEY",
    "GITHUB_TOKEN",
    "AWS_SECRET_ACCESS_KEY",
    "MY_SECRET_THING",
    "INTERPRETER_API_KEY",
    // storage's old words, anywhere in the name
    "DB_PASSWORD",
    "MYSQL_PWD_PASSWD",
    "GOOGLE_APPLICATION_CREDENTIALS",
    "SSHKEYFILE",
    "ACCESSTOKENS",
    "GITHUB_TOKEN2",
    "TOKENIZER_API_KEY",
    "TOKENIZER_TOKEN",
    "npm_config_token",
  ];
  for (const name of secret) assert(isSecretName(name), name);
  for (const name of ["PATH", "HOME", "LANG", "TOKENIZER_PATH", "HF_TOKENIZERS_CACHE"]) {
    assert(!isSecretName(name), name);
  }
  // every exact provider name the sandbox denies is a secret by the rule too
  for (const name of PROVIDER_KEY_ENV) assert(isSecretName(name), name);
  // a copy of the default list behaves as the default list
  assert(!isSecretName("TOKENIZER_PATH", [...SECRET_ENV_PATTERNS]));
  // a caller's own list is taken as written
  assert(isSecretName("TOKENIZER_PATH", ["TOKENIZER_*"]));
  assert(!isSecretName("GITHUB_TOKEN", ["*_API_KEY"]));
});

Deno.test("redact blanks every occurrence of each secret and ignores empty ones", () => {
  assertEquals(
    redact("key sk-123456789 and sk-123456789 again", ["", "sk-123456789"]),
    "key [redacted] and [redacted] again",
  );
  assertEquals(redact("nothing here", ["sk-123456789"]), "nothing here");
});
