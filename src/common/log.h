/* log.h - one log line per event, to stderr or a file:
 *   2026-11-21T23:59:01.123Z INFO  master: agent a-1 registered (127.0.0.1:5051)
 * Thread-safe (one write(2) per line). */
#ifndef MOSAIC_LOG_H
#define MOSAIC_LOG_H

enum { LOG_ERROR = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

/* log_init names the component and level; path NULL means stderr. Returns
 * MOSAIC_EIO if the file cannot be opened (logging stays on stderr). */
int log_init(const char *component, int level, const char *path);
/* "error", "warn", "info", "debug" -> level; -1 if unknown. */
int log_level_parse(const char *name);
void log_msg(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int log_enabled(int level);

#define LOGE(...) log_msg(LOG_ERROR, __VA_ARGS__)
#define LOGW(...) log_msg(LOG_WARN, __VA_ARGS__)
#define LOGI(...) log_msg(LOG_INFO, __VA_ARGS__)
#define LOGD(...) do { if (log_enabled(LOG_DEBUG)) log_msg(LOG_DEBUG, __VA_ARGS__); } while (0)

#endif
