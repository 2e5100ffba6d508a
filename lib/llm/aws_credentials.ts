/**
 * AWS credentials and region for Amazon Bedrock, found where the AWS CLI and
 * SDKs look: a Bedrock API key (`AWS_BEARER_TOKEN_BEDROCK`), the standard
 * variables (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
 * `AWS_SESSION_TOKEN`), then the profile `AWS_PROFILE` (default `default`)
 * of `~/.aws/credentials` and `~/.aws/config` (`AWS_SHARED_CREDENTIALS_FILE`
 * and `AWS_CONFIG_FILE` move them); the region from `AWS_REGION`,
 * `AWS_DEFAULT_REGION` or the profile. Profiles that get credentials from
 * SSO, a role or a program are named in the error with the command that
 * exports them. The files are parsed by `@smithy/shared-ini-file-loader`
 * (the AWS SDK's own reader). Nothing here is printed or logged.
 *
 * @module
 */

import { LlmError } from "./errors.ts";

/** Keys that sign requests (SigV4). */
export interface AwsKeys {
  /** The access key id. */
  accessKeyId: string;
  /** The secret access key. */
  secretAccessKey: string;
  /** The session token of temporary credentials. */
  sessionToken?: string;
}

/** How Bedrock requests are authorised, and where. */
export interface AwsAuth {
  /** SigV4 keys, or a Bedrock API key sent as a bearer token. */
  credentials: { keys: AwsKeys } | { bearer: string };
  /** Where the credentials came from (named in errors; never the values). */
  source: string;
  /** The AWS region, when one was found. */
  region?: string;
  /** The profile used for the region or the keys. */
  profile: string;
}

type Env = (name: string) => string | undefined;
type Section = Record<string, string | undefined>;

async function loadProfiles(
  env: Env,
): Promise<{ config: Record<string, Section>; credentials: Record<string, Section> }> {
  const home = env("HOME") ?? env("USERPROFILE") ?? "";
  const { loadSharedConfigFiles } = await import("npm:@smithy/shared-ini-file-loader@4.7.2");
  const files = await loadSharedConfigFiles({
    filepath: env("AWS_SHARED_CREDENTIALS_FILE") ?? `${home}/.aws/credentials`,
    configFilepath: env("AWS_CONFIG_FILE") ?? `${home}/.aws/config`,
    ignoreCache: true,
  });
  return {
    config: files.configFile as Record<string, Section>,
    credentials: files.credentialsFile as Record<string, Section>,
  };
}

/**
 * Finds Bedrock's credentials and region. `apiKey` (from `--api-key`) is a
 * Bedrock API key. Throws an LlmError naming what to set when none is found.
 */
export async function awsAuth(env: Env, apiKey?: string): Promise<AwsAuth> {
  const profile = env("AWS_PROFILE") ?? env("AWS_DEFAULT_PROFILE") ?? "default";
  let region = env("AWS_REGION") ?? env("AWS_DEFAULT_REGION");
  const envKeys = (): AwsKeys | undefined => {
    const accessKeyId = env("AWS_ACCESS_KEY_ID");
    const secretAccessKey = env("AWS_SECRET_ACCESS_KEY");
    if (!accessKeyId || !secretAccessKey) return undefined;
    const sessionToken = env("AWS_SESSION_TOKEN");
    return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : {
      accessKeyId,
      secretAccessKey,
    };
  };
  const bearer = apiKey ?? env("AWS_BEARER_TOKEN_BEDROCK");
  const keys = bearer ? undefined : envKeys();
  let profiles: Awaited<ReturnType<typeof loadProfiles>> | undefined;
  if (!region || (!bearer && !keys)) {
    try {
      profiles = await loadProfiles(env);
    } catch {
      profiles = undefined; // unreadable files count as absent
    }
  }
  const config = profiles?.config[profile] ?? {};
  const stored = profiles?.credentials[profile] ?? {};
  region ??= config.region ?? stored.region;
  if (bearer) {
    return {
      credentials: { bearer },
      source: apiKey ? "--api-key (a Bedrock API key)" : "AWS_BEARER_TOKEN_BEDROCK",
      region,
      profile,
    };
  }
  if (keys) return { credentials: { keys }, source: "AWS_ACCESS_KEY_ID", region, profile };
  for (const section of [stored, config]) {
    const accessKeyId = section.aws_access_key_id;
    const secretAccessKey = section.aws_secret_access_key;
    if (accessKeyId && secretAccessKey) {
      const keys: AwsKeys = { accessKeyId, secretAccessKey };
      if (section.aws_session_token) keys.sessionToken = section.aws_session_token;
      return { credentials: { keys }, source: `AWS profile "${profile}"`, region, profile };
    }
  }
  const indirect = config.sso_session || config.sso_start_url
    ? "signs in with SSO"
    : config.role_arn || stored.role_arn
    ? "assumes a role"
    : config.credential_process || stored.credential_process
    ? "runs a credential program"
    : undefined;
  if (indirect) {
    throw new LlmError(
      "missing_key",
      `No AWS credentials for Amazon Bedrock: profile "${profile}" ${indirect}, which is not read here. Run: eval "$(aws configure export-credentials --profile ${profile} --format env)" and try again.`,
    );
  }
  throw new LlmError(
    "missing_key",
    `No AWS credentials for Amazon Bedrock: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for temporary keys), AWS_BEARER_TOKEN_BEDROCK, or AWS_PROFILE naming a profile in ~/.aws/credentials.`,
  );
}
