package io.editstream.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One demo run the way the README starts it, in a JVM of its own (so its exit, shutdown hooks and
 * child processes are part of the test), with the emulator whatever the machine's environment says.
 *
 * @param output the demo's output folder
 * @param exitCode the demo JVM's exit code
 * @param console what it printed (stdout and stderr)
 * @param summary its {@code summary.json}
 */
record DemoRun(Path output, int exitCode, String console, JsonNode summary) {

  static DemoRun run(Path work, String... extraArgs) throws Exception {
    Path output = work.resolve("out");
    Path consoleFile = work.resolve("console.txt");
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx768m");
    for (String property : List.of("editstream.apicurio.home", "editstream.s3proxy.jar")) {
      if (System.getProperty(property) != null) {
        cmd.add("-D" + property + "=" + System.getProperty(property));
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(DemoMain.class.getName());
    cmd.add("--output=" + output);
    cmd.add("--emulator-latency-ms=300");
    cmd.add("--timeout-s=90");
    cmd.addAll(List.of(extraArgs));
    ProcessBuilder pb =
        new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(consoleFile.toFile());
    // The emulator path, whatever the machine's environment says.
    pb.environment().remove("GEMINI_API_KEY");
    pb.environment().remove("GEMINI_BASE_URL");
    // ...and the embedded S3Proxy, not an S3 store the environment names.
    pb.environment().remove("EDITSTREAM_S3_ENDPOINT");
    Process demo = pb.start();
    boolean exited = demo.waitFor(150, TimeUnit.SECONDS);
    if (!exited) {
      demo.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    String console = Files.readString(consoleFile, StandardCharsets.UTF_8);
    assertThat(exited).as("demo finished within 150 s; console:%n%s", console).isTrue();
    Path json = output.resolve(Demo.SUMMARY_JSON);
    assertThat(json).as("summary.json; console:%n%s", console).exists();
    return new DemoRun(
        output, demo.exitValue(), console, new ObjectMapper().readTree(json.toFile()));
  }

  /**
   * Processes whose command line contains the text the console shows after {@code pattern}'s first
   * group, e.g. a child process's port: what the demo left behind.
   */
  List<String> processesNamedBy(Pattern pattern, String commandLinePrefix) {
    Matcher m = pattern.matcher(console);
    assertThat(m.find()).as("%s on the console:%n%s", pattern, console).isTrue();
    String needle = commandLinePrefix + m.group(1);
    return ProcessHandle.allProcesses()
        .filter(p -> p.info().commandLine().map(c -> c.contains(needle)).orElse(false))
        .map(p -> p.pid() + " " + p.info().commandLine().orElse(""))
        .toList();
  }
}
