import puppeteer from "puppeteer-core";
const server = Deno.serve({ port: 0, onListen: () => {} }, () => new Response("<p>hi</p>", { headers: { "content-type": "text/html" } }));
const browser = await puppeteer.launch({
  executablePath: "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--enable-unsafe-webgpu", "--enable-features=Vulkan", "--use-angle=swiftshader", "--use-webgpu-adapter=swiftshader"],
});
const page = await browser.newPage();
await page.goto(`http://localhost:${server.addr.port}/`);
const gpu = await page.evaluate(async () => {
  const g = (navigator as any).gpu;
  if (!g) return "no navigator.gpu";
  const a = await g.requestAdapter();
  return a ? JSON.stringify(a.info ?? {}) : "no adapter";
});
console.log("gpu:", gpu, await browser.version());
await browser.close();
await server.shutdown();
