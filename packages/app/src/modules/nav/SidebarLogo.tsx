import {
  Link,
  sidebarConfig,
  useSidebarOpenState,
} from '@backstage/core-components';
import { makeStyles } from '@material-ui/core';

const useSidebarLogoStyles = makeStyles({
  root: {
    width: sidebarConfig.drawerWidthClosed,
    height: 3 * sidebarConfig.logoHeight,
    display: 'flex',
    flexFlow: 'row nowrap',
    alignItems: 'center',
    marginBottom: -14,
  },
  link: {
    marginLeft: 24,
    color: '#7df3e1',
    fontWeight: 700,
    whiteSpace: 'nowrap',
  },
  product: { fontSize: 26, letterSpacing: 1 },
  suffix: { fontSize: 15, fontWeight: 400, marginLeft: 6, color: '#e0e0e0' },
});

/** The product name as the logo: the portal serves one product, kop. */
export const SidebarLogo = () => {
  const classes = useSidebarLogoStyles();
  const { isOpen } = useSidebarOpenState();

  return (
    <div className={classes.root}>
      <Link
        to="/releases"
        underline="none"
        className={classes.link}
        aria-label="kop release portal"
      >
        <span className={classes.product}>kop</span>
        {isOpen && <span className={classes.suffix}>release</span>}
      </Link>
    </div>
  );
};
