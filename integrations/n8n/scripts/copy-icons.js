// tsc compiles only TypeScript: the icons the nodes and credential name with
// `file:` go next to the compiled files, at the same relative paths.
const fs = require('fs');
const path = require('path');

const root = path.join(__dirname, '..');
for (const folder of ['icons', 'nodes']) {
	for (const file of fs.readdirSync(path.join(root, folder), { recursive: true })) {
		if (!file.endsWith('.svg') && !file.endsWith('.node.json')) continue;
		const target = path.join(root, 'dist', folder, file);
		fs.mkdirSync(path.dirname(target), { recursive: true });
		fs.copyFileSync(path.join(root, folder, file), target);
	}
}
