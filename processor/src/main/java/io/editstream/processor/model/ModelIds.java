package io.editstream.processor.model;

import io.editstream.schema.EditJob;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Which model id a job runs on: the one rule for "the job's model, else the default", with aliases
 * resolved.
 *
 * <p>Google retires preview ids (DESIGN.md §16): an alias ({@code model.alias.<name>=<model id>})
 * lets jobs and {@code model.default} keep a stable name while the id behind it changes. An alias
 * may carry the name of a retired id, so jobs that still name it run on its successor.
 *
 * <p>Callers may rely on: {@link #of} never returns null or blank; an alias resolves in one step
 * (its target is never itself an alias); {@link #defaultModel()} is already resolved.
 */
public final class ModelIds {

  /** The config key prefix of an alias: {@code model.alias.<name>=<model id>}. */
  public static final String ALIAS_PREFIX = "model.alias.";

  private final String defaultModel;
  private final Map<String, String> aliases;

  private ModelIds(String defaultModel, Map<String, String> aliases) {
    this.defaultModel = defaultModel;
    this.aliases = aliases;
  }

  /**
   * @param defaultModel {@code model.default}: a model id or an alias
   * @param aliases alias name to model id
   * @throws IllegalArgumentException naming the setting when the default is blank, an alias or its
   *     target is blank, or an alias points at another alias
   */
  public static ModelIds of(String defaultModel, Map<String, String> aliases) {
    Map<String, String> copy = new TreeMap<>();
    aliases.forEach(
        (name, id) -> {
          String n = name == null ? "" : name.strip();
          String target = id == null ? "" : id.strip();
          if (n.isEmpty() || target.isEmpty()) {
            throw new IllegalArgumentException(
                ALIAS_PREFIX
                    + n
                    + ": an alias needs a name and a model id, e.g. "
                    + ALIAS_PREFIX
                    + "nano-banana-2=gemini-3.1-flash-image");
          }
          copy.put(n, target);
        });
    copy.forEach(
        (name, target) -> {
          if (copy.containsKey(target) && !target.equals(name)) {
            throw new IllegalArgumentException(
                ALIAS_PREFIX
                    + name
                    + ": points at '"
                    + target
                    + "', itself an alias; point it at"
                    + " the model id ("
                    + copy.get(target)
                    + ")");
          }
        });
    if (defaultModel == null || defaultModel.isBlank()) {
      throw new IllegalArgumentException(
          "model.default: is blank; set a model id (e.g. gemini-3.1-flash-image) or an alias");
    }
    String resolved = copy.getOrDefault(defaultModel.strip(), defaultModel.strip());
    return new ModelIds(resolved, Map.copyOf(copy));
  }

  /** No aliases: every name is a model id. */
  public static ModelIds of(String defaultModel) {
    return of(defaultModel, Map.of());
  }

  /** The model id of a job that names none. */
  public String defaultModel() {
    return defaultModel;
  }

  /** Alias name to model id. */
  public Map<String, String> aliases() {
    return aliases;
  }

  /** The model id {@code job} runs on. */
  public String forJob(EditJob job) {
    return resolve(job.getModel());
  }

  /** The model id for a requested name: null or blank is the default, an alias its model id. */
  public String resolve(String requested) {
    if (requested == null || requested.isBlank()) {
      return defaultModel;
    }
    String name = requested.strip();
    return aliases.getOrDefault(name, name);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ModelIds m
        && defaultModel.equals(m.defaultModel)
        && aliases.equals(m.aliases);
  }

  @Override
  public int hashCode() {
    return Objects.hash(defaultModel, aliases);
  }

  @Override
  public String toString() {
    return "ModelIds[default=" + defaultModel + ", aliases=" + new TreeMap<>(aliases) + "]";
  }
}
