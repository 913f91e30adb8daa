/* Replays every file of a corpus directory through a fuzz target. */
#include "fuzz.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/fs.h"

#define REPLAY_MAX_INPUT (16u << 20)

static int replay_one(const char *path)
{
	struct buf b;

	if (fs_read_file(path, REPLAY_MAX_INPUT, &b)) {
		fprintf(stderr, "replay: cannot read '%s'\n", path);
		return 1;
	}
	LLVMFuzzerTestOneInput((const uint8_t *)b.data, b.len);
	buf_release(&b);
	return 0;
}

int main(int argc, char **argv)
{
	struct dirent **names;
	int n, failed = 0, ran = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR\n", argv[0]);
		return 2;
	}
	n = scandir(argv[1], &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: cannot list '%s'\n", argv[1]);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		char path[4096];

		if (names[i]->d_name[0] != '.') {
			snprintf(path, sizeof(path), "%s/%s", argv[1],
				 names[i]->d_name);
			failed |= replay_one(path);
			ran++;
		}
		free(names[i]);
	}
	free(names);
	/* An empty input always runs so a target without corpus still runs. */
	LLVMFuzzerTestOneInput((const uint8_t *)"", 0);
	printf("replayed %d inputs from %s\n", ran, argv[1]);
	return failed;
}
