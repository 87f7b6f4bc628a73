/*
 * png_ink.c — says whether a screenshot shows a rendered agenda, for
 * render_html.sh: prints the size and counts of ink pixels (darker than
 * light grey) and of the page's heading blue and red/green badge colours,
 * and exits 0 only when the page is the expected size, at least 2 % ink,
 * and has headings and both badge colours. In C with libpng because a
 * pure-Python PNG decoder takes a minute on an A4 page.
 */
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    png_image img;
    png_bytep px = NULL;
    int rc = 1;

    if (argc != 4) {
        fprintf(stderr, "usage: png_ink FILE WIDTH HEIGHT\n");
        return 2;
    }
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&img, argv[1])) {
        fprintf(stderr, "png_ink: %s: %s\n", argv[1], img.message);
        return 1;
    }
    img.format = PNG_FORMAT_RGB;
    px = malloc(PNG_IMAGE_SIZE(img));
    if (!px || !png_image_finish_read(&img, NULL, px, 0, NULL)) {
        fprintf(stderr, "png_ink: %s: %s\n", argv[1],
                px ? img.message : "out of memory");
        goto cleanup;
    }
    size_t total = (size_t)img.width * img.height, ink = 0, blue = 0, red = 0,
           green = 0;
    for (size_t i = 0; i < total; i++) {
        unsigned r = px[3 * i], g = px[3 * i + 1], b = px[3 * i + 2];
        ink += r + g + b < 600;
        blue += r == 0x1f && g == 0x4e && b == 0x79;
        red += r == 0xfb && g == 0xd5 && b == 0xd5;
        green += r == 0xd3 && g == 0xf2 && b == 0xdc;
    }
    printf("png_ink: %ux%u, ink %.1f %%, heading blue %zu, red badge %zu, "
           "green badge %zu\n",
           img.width, img.height, ink * 100.0 / (double)total, blue, red,
           green);
    if (img.width != (unsigned)atoi(argv[2]) ||
        img.height != (unsigned)atoi(argv[3]))
        fprintf(stderr, "png_ink: expected %sx%s\n", argv[2], argv[3]);
    else if (ink < total / 50)
        fprintf(stderr, "png_ink: the page is (nearly) blank\n");
    else if (blue < 500)
        fprintf(stderr, "png_ink: no dark-blue headings: the stylesheet did "
                        "not apply\n");
    else if (red < 50 || green < 50)
        fprintf(stderr, "png_ink: no red/green badges: the scoreboard did "
                        "not render\n");
    else
        rc = 0;
cleanup:
    png_image_free(&img);
    free(px);
    return rc;
}
