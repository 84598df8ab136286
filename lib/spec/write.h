/* write.h - a snapshot as a full spec (spec/SPEC.md §6): every namespace a
 * [LABEL] section, every mount one line with every property, in tree order
 * (indented two spaces a level, mountpoints absolute), peer groups and
 * superblocks named after their first mountpoint in snapshot order. */
#pragma once

#include <stdio.h>

#include "lib/core/error.h"
#include "lib/core/model.h"

/* Writes the linked snap to f (buffered: the caller checks and closes f).
 * Returns: 0 or -errno (a write error). */
int mnts_spec_write(const struct mnts_snapshot *snap, FILE *f, struct mnts_error *err);

/* Writes s to f as one spec token: bare when it needs no quoting, else in
 * "..." with \\ \" \t \n and \xHH for control bytes and bytes that are not
 * UTF-8 (SPEC.md §1).  An empty s is "". */
void mnts_spec_put_token(FILE *f, const char *s);

/* The words of a group or superblock name made of s: runs of bytes other
 * than [A-Za-z0-9_.-] become one '_', leading '/' dropped, "root" for "/",
 * at most 64 bytes (the end kept).  out has room for 65 bytes. */
void mnts_spec_name_from_path(char out[65], const char *s);
