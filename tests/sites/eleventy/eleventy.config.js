export default function (eleventyConfig) {}

export const config = {
  dir: { input: "src", output: "_site" },
};
