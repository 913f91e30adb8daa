/* Fuzz target: the strict layer tar reader, through each decompressor. */
#include "fuzz.h"

#include "pack/compress.h"
#include "pack/tar.h"

static void read_tar(struct stream_in *in)
{
	struct tar_reader *r;
	struct tar_entry e;
	char buf[4096];

	if (tar_reader_new(in, "fuzz", &r))
		return;
	while (tar_reader_next(r, &e) == 1) {
		/* Whatever the reader accepts must obey its name rules. */
		if (e.name[0] == '/' || !e.name[0])
			__builtin_trap();
		while (tar_reader_read(r, buf, sizeof(buf)) > 0)
			;
	}
	tar_reader_free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pack_compression kinds[] = {
		PACK_COMP_NONE, PACK_COMP_GZIP, PACK_COMP_ZSTD,
	};

	if (size == 0)
		return 0;
	/* The first byte picks the compression. */
	{
		struct stream_mem_in m;
		struct pack_zin *z;

		stream_mem_in_init(&m, data + 1, size - 1);
		if (pack_zin_new(kinds[data[0] % 3], &m.base, "fuzz", &z))
			return 0;
		read_tar(pack_zin_stream(z));
		pack_zin_end(z);
		pack_zin_free(z);
	}
	return 0;
}
