package io.editstream.cli.manifest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.csv.CsvMapper;
import com.fasterxml.jackson.dataformat.csv.CsvParser;
import com.fasterxml.jackson.dataformat.csv.CsvSchema;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Reads manifests: CSV with a header row (RFC 4180 quoting; a UTF-8 byte order mark is skipped) or
 * JSON Lines (one JSON object per line). The format comes from the file extension ({@code .csv};
 * {@code .jsonl}, {@code .ndjson}, {@code .json}), else from the first character ({@code {} means
 * JSON Lines). Column names are trimmed; blank values count as absent.
 */
public final class Manifests {
  static final ObjectMapper JSON = new ObjectMapper();
  private static final CsvMapper CSV =
      CsvMapper.builder()
          .enable(CsvParser.Feature.TRIM_SPACES)
          .enable(CsvParser.Feature.SKIP_EMPTY_LINES)
          .enable(CsvParser.Feature.FAIL_ON_MISSING_HEADER_COLUMNS)
          .build();

  /** The two manifest formats. */
  public enum Format {
    CSV,
    JSON_LINES
  }

  private Manifests() {}

  /**
   * Reads the manifest at {@code file}. Malformed lines become {@link Manifest#problems()}; JSON
   * Lines continues after a bad line, CSV stops at a structural error (its later lines cannot be
   * trusted).
   *
   * @throws IOException when the file cannot be read at all
   */
  public static Manifest read(Path file) throws IOException {
    String content = Files.readString(file, StandardCharsets.UTF_8);
    if (!content.isEmpty() && content.charAt(0) == '\uFEFF') {
      content = content.substring(1);
    }
    return parse(file, content, formatOf(file, content));
  }

  /** Parses manifest text; {@code file} only names it and sets the base folder. */
  public static Manifest parse(Path file, String content, Format format) {
    return format == Format.CSV ? parseCsv(file, content) : parseJsonLines(file, content);
  }

  static Format formatOf(Path file, String content) {
    String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
    if (name.endsWith(".csv")) {
      return Format.CSV;
    }
    if (name.endsWith(".jsonl") || name.endsWith(".ndjson") || name.endsWith(".json")) {
      return Format.JSON_LINES;
    }
    return content.stripLeading().startsWith("{") ? Format.JSON_LINES : Format.CSV;
  }

  private static Manifest parseCsv(Path file, String content) {
    List<ManifestRow> rows = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    CsvSchema schema = CsvSchema.emptySchema().withHeader();
    try (CsvParser parser = CSV.getFactory().createParser(content)) {
      parser.setSchema(schema);
      while (true) {
        try {
          JsonToken token = parser.nextToken();
          if (token == null) {
            break;
          }
          if (token != JsonToken.START_OBJECT) {
            throw new IOException("unexpected " + token);
          }
          ObjectNode fields = JsonNodeFactory.instance.objectNode();
          int line = -1;
          while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String name = parser.currentName() == null ? "" : parser.currentName().strip();
            parser.nextToken();
            if (line < 0) {
              // The row's first value: where the row starts (blank lines before it skipped).
              line = parser.currentTokenLocation().getLineNr();
            }
            String value = parser.getValueAsString();
            if (value != null && !value.isBlank() && !name.isEmpty()) {
              fields.put(name, value);
            }
          }
          rows.add(new ManifestRow(line, fields));
        } catch (IOException | RuntimeException e) {
          problems.add(Problem.atLine(parser.currentLocation().getLineNr(), "csv", brief(e)));
          break;
        }
      }
    } catch (IOException e) {
      problems.add(Problem.atLine(1, "csv", brief(e)));
    }
    return new Manifest(file, rows, problems);
  }

  private static Manifest parseJsonLines(Path file, String content) {
    List<ManifestRow> rows = new ArrayList<>();
    List<Problem> problems = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new StringReader(content))) {
      String text;
      int line = 0;
      while ((text = reader.readLine()) != null) {
        line++;
        if (text.isBlank()) {
          continue;
        }
        JsonNode node;
        try {
          node = JSON.readTree(text);
        } catch (JsonProcessingException e) {
          problems.add(Problem.atLine(line, "json", brief(e)));
          continue;
        }
        if (!(node instanceof ObjectNode object)) {
          problems.add(Problem.atLine(line, "json", "must be a JSON object, one per line"));
          continue;
        }
        ObjectNode fields = JsonNodeFactory.instance.objectNode();
        object
            .properties()
            .forEach(
                e -> {
                  JsonNode v = e.getValue();
                  boolean blank = v.isNull() || (v.isTextual() && v.asText().isBlank());
                  if (!blank) {
                    fields.set(e.getKey().strip(), v);
                  }
                });
        rows.add(new ManifestRow(line, fields));
      }
    } catch (IOException e) {
      throw new IllegalStateException("reading a string cannot fail", e);
    }
    return new Manifest(file, rows, problems);
  }

  /** An exception's message without Jackson's source excerpt. */
  static String brief(Exception e) {
    if (e instanceof JsonProcessingException j) {
      return j.getOriginalMessage();
    }
    String message = e.getMessage();
    return message == null ? e.getClass().getSimpleName() : message.lines().findFirst().orElse("");
  }
}
