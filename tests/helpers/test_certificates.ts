/**
 * Throwaway TLS material for the engine tests, made with openssl: a CA, a server certificate
 * for 127.0.0.1 and a client certificate, all signed by it.
 *
 * @module
 */

async function openssl(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("openssl", { args, cwd: dir, stdout: "null", stderr: "piped" })
    .output();
  if (!out.success) throw new Error(`openssl ${args[0]}: ${new TextDecoder().decode(out.stderr)}`);
}

/**
 * A throwaway CA (ca.pem), a server certificate for 127.0.0.1 (server.pem, server.key) and a
 * client certificate (client/cert.pem, client/key.pem, with client/ca.pem), all signed by it.
 */
export async function makeCertificates(dir: string): Promise<void> {
  const sign = async (name: string, subject: string, ext: string) => {
    await openssl(
      dir,
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      `${name}.key`,
      "-out",
      `${name}.csr`,
      "-subj",
      subject,
    );
    await Deno.writeTextFile(`${dir}/${name}.ext`, ext);
    await openssl(
      dir,
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.pem`,
      "-days",
      "1",
      "-extfile",
      `${name}.ext`,
    );
  };
  await openssl(
    dir,
    "req",
    "-x509",
    "-newkey",
    "rsa:2048",
    "-nodes",
    "-keyout",
    "ca.key",
    "-out",
    "ca.pem",
    "-days",
    "1",
    "-subj",
    "/CN=test engine CA",
  );
  await sign(
    "server",
    "/CN=127.0.0.1",
    "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n",
  );
  await sign("client", "/CN=test client", "extendedKeyUsage=clientAuth\n");
  await Deno.mkdir(`${dir}/client`);
  await Deno.copyFile(`${dir}/ca.pem`, `${dir}/client/ca.pem`);
  await Deno.copyFile(`${dir}/client.pem`, `${dir}/client/cert.pem`);
  await Deno.copyFile(`${dir}/client.key`, `${dir}/client/key.pem`);
}
